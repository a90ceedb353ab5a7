// The protobuf wire format, as much as channelz's messages need: varints, length-delimited fields,
// and skipping what we do not read. Hand-written so that reading channelz loads no protobuf
// library (the CLI starts faster, and the bundle is a few kB instead of 1 MB). Pure.

/** A field's value as read: a varint (number, or a decimal string past 2^53), or bytes. */
export type WireValue = number | string | Uint8Array;

/** The fields of one message: field number → values in order (repeated fields keep them all). */
export type WireFields = Map<number, WireValue[]>;

export class WireError extends Error {}

function varint(buf: Uint8Array, at: number): [number | bigint, number] {
  let lo = 0;
  let shift = 0;
  let pos = at;
  // Up to 7 bytes (49 bits) fit a double exactly; longer varints are read as BigInt.
  for (; pos < buf.length && pos - at < 7; pos++) {
    const b = buf[pos];
    lo += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [lo, pos + 1];
  }
  let big = BigInt(lo);
  for (; pos < buf.length && pos - at < 10; pos++) {
    const b = buf[pos];
    big |= BigInt(b & 0x7f) << BigInt(shift);
    shift += 7;
    if (b < 0x80) return [BigInt.asIntN(64, big), pos + 1];
  }
  throw new WireError('a varint runs past the end of the message');
}

/** Decodes one message's fields; fixed-width fields are skipped (channelz's we read are varints). */
export function decodeFields(buf: Uint8Array): WireFields {
  const fields: WireFields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = varint(buf, pos);
    pos = next;
    const n = Number(key);
    const field = Math.floor(n / 8);
    const type = n & 7;
    let value: WireValue | null = null;
    if (type === 0) {
      const [v, after] = varint(buf, pos);
      pos = after;
      value = typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v;
    } else if (type === 2) {
      const [len, after] = varint(buf, pos);
      const end = after + Number(len);
      if (end > buf.length) throw new WireError('a field runs past the end of the message');
      value = buf.subarray(after, end);
      pos = end;
    } else if (type === 1) {
      pos += 8;
    } else if (type === 5) {
      pos += 4;
    } else {
      throw new WireError(`wire type ${type} is not protobuf 3`);
    }
    if (pos > buf.length) throw new WireError('a field runs past the end of the message');
    if (value === null) continue;
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

/** The last value of a varint field (proto3: the last one wins), 0 when absent. */
export function int(f: WireFields, field: number): number {
  const v = f.get(field)?.at(-1);
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
}

/** An id: a varint field as a decimal string, exact past 2^53. */
export function id(f: WireFields, field: number): string {
  const v = f.get(field)?.at(-1);
  return typeof v === 'number' || typeof v === 'string' ? String(v) : '0';
}

export function bytes(f: WireFields, field: number): Uint8Array | null {
  const v = f.get(field)?.at(-1);
  return v instanceof Uint8Array ? v : null;
}

export function text(f: WireFields, field: number): string {
  const b = bytes(f, field);
  return b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8') : '';
}

export function message(f: WireFields, field: number): WireFields | null {
  const b = bytes(f, field);
  return b ? decodeFields(b) : null;
}

export function messages(f: WireFields, field: number): WireFields[] {
  return (f.get(field) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array).map(decodeFields);
}

function writeVarint(out: number[], v: bigint): void {
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

/** A message of varint fields (every channelz request is one): field number → value; zeros left out. */
export function encodeVarints(fields: Array<[number, number | string | boolean]>): Uint8Array {
  const out: number[] = [];
  for (const [field, value] of fields) {
    const v = typeof value === 'boolean' ? BigInt(value ? 1 : 0) : BigInt(value);
    if (v === 0n) continue;
    writeVarint(out, BigInt(field * 8));
    writeVarint(out, v);
  }
  return Uint8Array.from(out);
}
