// Where words are spelled in a source text. The rules use it to look only where something can
// be: a node whose text does not spell "addService" cannot contain an addService call, and every
// call of a method spells its name. The text only proposes places; the syntax tree decides what
// they are (a name in a comment or a string is not a call).
export class Spellings {
  private readonly found = new Map<string, number[]>();

  constructor(private readonly text: string) {}

  /** Offsets where `word` is spelled in [from, to), in order. */
  of(word: string, from = 0, to = this.text.length): number[] {
    const all = this.all(word);
    if (from <= 0 && to >= this.text.length) return all;
    const out: number[] = [];
    for (let i = firstAtOrAfter(all, from); i < all.length && all[i] + word.length <= to; i++) out.push(all[i]);
    return out;
  }

  /** True when one of `words` is spelled entirely within [from, to). */
  anyIn(words: readonly string[], from: number, to: number): boolean {
    for (const w of words) {
      const all = this.all(w);
      const i = firstAtOrAfter(all, from);
      if (i < all.length && all[i] + w.length <= to) return true;
    }
    return false;
  }

  private all(word: string): number[] {
    let all = this.found.get(word);
    if (!all) {
      all = [];
      if (word) for (let i = this.text.indexOf(word); i !== -1; i = this.text.indexOf(word, i + word.length)) all.push(i);
      this.found.set(word, all);
    }
    return all;
  }
}

function firstAtOrAfter(sorted: number[], at: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
