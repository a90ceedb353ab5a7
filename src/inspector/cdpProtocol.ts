// The slice of the Chrome DevTools Protocol (as Node's inspector speaks it) that we use, typed.

export interface RemoteObject {
  type: string;
  subtype?: string;
  className?: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
  objectId?: string;
}

export interface ExceptionDetails {
  text: string;
  exception?: RemoteObject;
  lineNumber?: number;
  columnNumber?: number;
}

export interface CallArgument {
  value?: unknown;
  objectId?: string;
}


export interface CdpCommands {
  'Runtime.evaluate': {
    params: {
      expression: string;
      returnByValue?: boolean;
      includeCommandLineAPI?: boolean;
      awaitPromise?: boolean;
      silent?: boolean;
      objectGroup?: string;
    };
    result: { result: RemoteObject; exceptionDetails?: ExceptionDetails };
  };
  'Runtime.callFunctionOn': {
    params: {
      functionDeclaration: string;
      objectId?: string;
      executionContextId?: number;
      arguments?: CallArgument[];
      returnByValue?: boolean;
      silent?: boolean;
      awaitPromise?: boolean;
      objectGroup?: string;
    };
    result: { result: RemoteObject; exceptionDetails?: ExceptionDetails };
  };
  'Runtime.getProperties': {
    params: { objectId: string; ownProperties?: boolean };
    result: { result: Array<{ name: string; value?: RemoteObject }>; internalProperties?: Array<{ name: string; value?: RemoteObject }> };
  };
  'Runtime.releaseObjectGroup': { params: { objectGroup: string }; result: Record<string, never> };
  'Runtime.addBinding': { params: { name: string }; result: Record<string, never> };
  'Runtime.removeBinding': { params: { name: string }; result: Record<string, never> };
  'Runtime.enable': { params: Record<string, never>; result: Record<string, never> };
  /** js-debug's CDP proxy: forward these events to this client. */
  'JsDebug.subscribe': { params: { events: string[] }; result: Record<string, never> };
}

export interface CdpEvents {
  'Runtime.bindingCalled': { name: string; payload: string; executionContextId: number };
}

export type CdpMethod = keyof CdpCommands;
export type CdpEvent = keyof CdpEvents;

/** One inspector target as /json/list describes it. */
export interface InspectorTarget {
  id: string;
  title: string;
  type: string;
  url: string;
  webSocketDebuggerUrl: string;
}
