/**
 * Makes a job's raw terminal output safe to write to the user's terminal, keeping what progress bars
 * and coloured logs need: printable text (UTF-8 untouched), \t \n \r \b and BEL, SGR colours and
 * styles, cursor movement and erasing (CSI A–H, J, K, ...), cursor show/hide, save/restore, and the
 * ASCII charset (ESC ( B, as `tput sgr0` sends). {@link restore} undoes what was let through.
 *
 * Dropped too: SGR 8 (concealed text: a job's line the user cannot see, though it is there to copy)
 * and the other charsets (ESC ( 0, DEC line drawing, garbles every later letter until reset).
 *
 * Dropped: OSC (window title, clipboard, hyperlinks), DCS (DECRQSS ...), SOS, PM and APC strings, and
 * every sequence that makes the terminal answer or change state behind the user's back (DSR `CSI n`,
 * DA `CSI c`, window ops `CSI t`, mode changes other than cursor visibility/autowrap, ESC Z, ESC c
 * reset), other C0 controls, and the 8-bit C1 controls (U+0080–U+009F) — CSI among them, which is
 * handled like ESC [. Stateful: a sequence split across chunks is recognised all the same; an
 * unterminated string is discarded as it arrives, so memory stays bounded.
 */

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
/** UTF-8 lead byte of U+0080–U+00BF: followed by 0x80–0x9F it encodes a C1 control. */
const C2 = 0xc2;
/** CSI sequences longer than this are not ones we keep: dropped. */
const MAX_SEQUENCE_BYTES = 64;

/** C0 controls passed through: BEL, BS, HT, LF, CR. */
const KEPT_C0 = new Set([0x07, 0x08, 0x09, 0x0a, 0x0d]);
/** CSI finals kept when the parameters are plain numbers: SGR, cursor movement, erase, scroll, edit. */
const KEPT_CSI_FINALS = new Set('mABCDEFGHfdJKSTr@PXLMsu'.split('').map((c) => c.charCodeAt(0)));
/** DEC private modes that may be set/reset: cursor visibility (25), autowrap (7). */
const KEPT_PRIVATE_MODES = new Set(['?25', '?7']);
/** ESC + one of these: save/restore cursor, reverse index. */
const KEPT_ESC_FINALS = new Set(['7', '8', 'M'].map((c) => c.charCodeAt(0)));

enum State {
  Ground,
  /** Saw 0xC2: the next byte says whether it is a C1 control. */
  C2,
  Esc,
  EscIntermediate,
  Csi,
  /** Inside OSC/DCS/SOS/PM/APC: everything is dropped until BEL or ST. */
  String,
  StringEsc,
  StringC2,
}

export class TerminalOutputFilter {
  private state = State.Ground;
  /** The escape sequence being collected (kept or dropped once complete). */
  private sequence: number[] = [];
  private tooLong = false;
  /** Whether a kept sequence changed colours, styles, modes or charset (see restore). */
  private changedModes = false;
  private changedScrollRegion = false;

  /** The safe part of `chunk`; bytes of an unfinished sequence are held until the next call. */
  write(chunk: Uint8Array): Buffer {
    // Every byte out is from this chunk, except a held 0xC2 or the held start of a sequence (capped).
    const out = Buffer.allocUnsafe(chunk.length + MAX_SEQUENCE_BYTES + 2);
    let n = 0;
    const emit = (bytes: number[]): void => {
      for (const b of bytes) out[n++] = b;
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.state) {
        case State.Ground:
          if (b === ESC) this.begin(State.Esc, [ESC]);
          else if (b === C2) this.state = State.C2;
          else if (b >= 0x20 && b !== 0x7f) out[n++] = b;
          else if (KEPT_C0.has(b)) out[n++] = b;
          break;
        case State.C2:
          this.state = State.Ground;
          if (b >= 0x80 && b <= 0x9f) {
            this.c1(b);
          } else {
            out[n++] = C2;
            i--; // not a C1 control: the byte is processed on its own
          }
          break;
        case State.Esc:
          if (b === 0x5b) this.begin(State.Csi, [ESC, b]);
          else if (b === 0x5d || b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f)
            this.begin(State.String);
          else if (b === ESC) this.begin(State.Esc, [ESC]);
          else if (b >= 0x20 && b <= 0x2f) this.begin(State.EscIntermediate, [ESC, b]);
          else if (KEPT_ESC_FINALS.has(b)) {
            emit([ESC, b]);
            this.state = State.Ground;
          } else if (b < 0x20 && b !== CAN && b !== SUB) {
            if (KEPT_C0.has(b)) out[n++] = b; // executed inside the sequence, as terminals do
          } else this.state = State.Ground; // any other escape (ESC c, ESC Z, ...) is dropped
          break;
        case State.EscIntermediate:
          if (b >= 0x20 && b <= 0x2f && this.sequence.length < MAX_SEQUENCE_BYTES) this.sequence.push(b);
          else if (b >= 0x30 && b <= 0x7e) {
            // Only the ASCII charset's designation (ESC ( B, ESC ) B) is kept.
            const [, intermediate] = this.sequence;
            if (
              this.sequence.length === 2 &&
              (intermediate === 0x28 || intermediate === 0x29) &&
              b === 0x42
            ) {
              emit([...this.sequence, b]);
            }
            this.state = State.Ground;
          } else this.abort(b);
          break;
        case State.Csi:
          if (b >= 0x20 && b <= 0x3f) {
            if (this.sequence.length < MAX_SEQUENCE_BYTES) this.sequence.push(b);
            else this.tooLong = true; // not one we keep: dropped at its final byte
          } else if (b >= 0x40 && b <= 0x7e) {
            const kept = this.tooLong ? null : this.keptCsi(b);
            if (kept) {
              emit(kept);
              if (b === 0x6d || b === 0x68 || b === 0x6c) this.changedModes = true; // m h l
              if (b === 0x72) this.changedScrollRegion = true; // r
            }
            this.state = State.Ground;
          } else if (b < 0x20 && b !== ESC && b !== CAN && b !== SUB) {
            if (KEPT_C0.has(b)) out[n++] = b;
          } else this.abort(b);
          break;
        case State.String:
          if (b === BEL || b === CAN || b === SUB) this.state = State.Ground;
          else if (b === ESC) this.state = State.StringEsc;
          else if (b === C2) this.state = State.StringC2;
          break;
        case State.StringEsc:
          if (b === 0x5c)
            this.state = State.Ground; // ST
          else {
            // An ESC ends the string and starts a new sequence.
            this.begin(State.Esc, [ESC]);
            i--;
          }
          break;
        case State.StringC2:
          if (b === 0x9c)
            this.state = State.Ground; // 8-bit ST
          else {
            this.state = State.String;
            i--;
          }
          break;
      }
    }
    return Buffer.from(out.subarray(0, n));
  }

  /** At the end of the stream: a held 0xC2 is text after all; an unfinished sequence is dropped. */
  end(): Buffer {
    const held = this.state === State.C2 ? Buffer.from([C2]) : Buffer.alloc(0);
    this.state = State.Ground;
    this.sequence = [];
    return held;
  }

  private begin(state: State, sequence: number[] = []): void {
    this.state = state;
    this.sequence = sequence;
    this.tooLong = false;
  }

  /** An 8-bit C1 control (0x80–0x9F) acts like ESC + (byte − 0x40). */
  private c1(b: number): void {
    const seven = b - 0x40;
    if (seven === 0x5b) this.begin(State.Csi, [ESC, 0x5b]);
    else if (seven === 0x5d || seven === 0x50 || seven === 0x58 || seven === 0x5e || seven === 0x5f)
      this.begin(State.String);
    else this.state = State.Ground; // every other C1 control is dropped
  }

  /** A sequence broken off by ESC, CAN/SUB or a stray byte: dropped; ESC starts a new one. */
  private abort(b: number): void {
    if (b === ESC) this.begin(State.Esc, [ESC]);
    else this.state = State.Ground;
  }

  /** The bytes to pass of the CSI sequence now complete with `final`; null to drop it. */
  private keptCsi(final: number): number[] | null {
    const params = String.fromCharCode(...this.sequence.slice(2));
    if (/^[0-9;:]*$/.test(params)) {
      if (!KEPT_CSI_FINALS.has(final)) return null;
      if (final !== 0x6d) return [...this.sequence, final];
      const sgr = withoutConceal(params);
      return sgr === null ? null : [...Buffer.from(`\u001b[${sgr}m`, 'latin1')];
    }
    const mode = (final === 0x68 || final === 0x6c) && KEPT_PRIVATE_MODES.has(params); // h / l
    return mode ? [...this.sequence, final] : null;
  }

  /**
   * What puts the terminal back as the job's output found it, for when the stream ends or is
   * interrupted: colours and styles off, cursor shown, autowrap on, ASCII charset, and the whole
   * screen as the scroll region (cursor kept where it is) — each only when something changed it.
   */
  restore(): Buffer {
    let out = '';
    if (this.changedModes) out += '\u001b[0m\u001b[?25h\u001b[?7h\u001b(B';
    if (this.changedScrollRegion) out += '\u001b7\u001b[r\u001b8';
    this.changedModes = this.changedScrollRegion = false;
    return Buffer.from(out, 'latin1');
  }
}

/**
 * SGR parameters (`1;38;5;8`) without 8 (conceal); a colour's own numbers (38/48/58 followed by
 * `5;n` or `2;r;g;b`) are left alone. Null when nothing is left: an empty SGR would be a reset.
 */
function withoutConceal(params: string): string | null {
  const all = params.split(';');
  const kept: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const p = all[i];
    if ((p === '38' || p === '48' || p === '58') && (all[i + 1] === '5' || all[i + 1] === '2')) {
      const n = all[i + 1] === '5' ? 3 : 5;
      kept.push(...all.slice(i, i + n));
      i += n - 1;
    } else if (p !== '8') kept.push(p);
  }
  if (kept.length === all.length) return params;
  return kept.length ? kept.join(';') : null;
}
