package io.udsink.client;

import java.nio.charset.StandardCharsets;

/**
 * Formats one DogStatsD line into a reused byte array, one instance per thread.
 *
 * <pre>
 *   [prefix]name:value|type[|@rate][|#constant,tags]
 * </pre>
 *
 * Sanitising, applied as the characters are written: in names (and the prefix) {@code : | @ # ,}
 * and line breaks become {@code _}; in tags {@code | # ,} and line breaks become {@code _}
 * ({@code :} stays, it separates key and value); in set members {@code : |} and line breaks
 * become {@code _}. Integral values and integers are written without allocating; other doubles
 * go through {@link Double#toString}.
 */
final class LineFormatter {
  static final int NAME = 0;
  static final int TAG = 1;
  static final int MEMBER = 2;
  static final int RAW = 3;

  private static final int CACHE = 256;

  final byte[] buf;
  int pos;

  /** Encoded names and tags by string, so that a steady emitter encodes nothing. */
  private final String[] cacheKeys = new String[CACHE];

  private final byte[][] cacheValues = new byte[CACHE][];
  private final int[] cacheKinds = new int[CACHE];
  private double lastRate = Double.NaN;
  private byte[] lastRateBytes;

  LineFormatter(int capacity) {
    this.buf = new byte[capacity];
  }

  /** Thrown internally when a line does not fit; preallocated, no stack trace. */
  static final class Overflow extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Overflow INSTANCE = new Overflow();

    private Overflow() {
      super(null, null, false, false);
    }
  }

  void reset() {
    pos = 0;
  }

  void put(byte b) {
    if (pos == buf.length) {
      throw Overflow.INSTANCE;
    }
    buf[pos++] = b;
  }

  void put(byte[] bytes) {
    if (pos + bytes.length > buf.length) {
      throw Overflow.INSTANCE;
    }
    System.arraycopy(bytes, 0, buf, pos, bytes.length);
    pos += bytes.length;
  }

  /**
   * Writes {@code s} like {@link #put(String, int)}, from a small per-thread cache of encodings
   * (hit by identity for constant strings, else by equality).
   */
  void putCached(String s, int kind) {
    int slot = (s.hashCode() * 31 + kind) & (CACHE - 1);
    String k = cacheKeys[slot];
    if (k != null && cacheKinds[slot] == kind && (k == s || k.equals(s))) {
      put(cacheValues[slot]);
      return;
    }
    byte[] encoded = encode(s, kind);
    put(encoded);
    if (encoded.length <= 256) {
      cacheKeys[slot] = s;
      cacheKinds[slot] = kind;
      cacheValues[slot] = encoded;
    }
  }

  /** Writes {@code s} as UTF-8, replacing the characters {@code kind} forbids with {@code _}. */
  void put(String s, int kind) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        put(forbidden(c, kind) ? (byte) '_' : (byte) c);
      } else if (c < 0x800) {
        put((byte) (0xc0 | (c >> 6)));
        put((byte) (0x80 | (c & 0x3f)));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        put((byte) (0xf0 | (cp >> 18)));
        put((byte) (0x80 | ((cp >> 12) & 0x3f)));
        put((byte) (0x80 | ((cp >> 6) & 0x3f)));
        put((byte) (0x80 | (cp & 0x3f)));
      } else if (Character.isSurrogate(c)) {
        put((byte) '_'); // a lone surrogate is not text
      } else {
        put((byte) (0xe0 | (c >> 12)));
        put((byte) (0x80 | ((c >> 6) & 0x3f)));
        put((byte) (0x80 | (c & 0x3f)));
      }
    }
  }

  private static boolean forbidden(char c, int kind) {
    if (kind == RAW) {
      return false;
    }
    if (c == '\n' || c == '\r' || c == '|') {
      return true;
    }
    switch (kind) {
      case NAME:
        return c == ':' || c == '@' || c == '#' || c == ',';
      case TAG:
        return c == '#' || c == ',';
      default:
        return c == ':';
    }
  }

  void putLong(long v) {
    if (v == Long.MIN_VALUE) {
      put("-9223372036854775808", NAME);
      return;
    }
    if (v < 0) {
      put((byte) '-');
      v = -v;
    }
    int digits = 1;
    for (long t = v; t >= 10; t /= 10) {
      digits++;
    }
    if (pos + digits > buf.length) {
      throw Overflow.INSTANCE;
    }
    for (int i = pos + digits - 1; i >= pos; i--) {
      buf[i] = (byte) ('0' + (v % 10));
      v /= 10;
    }
    pos += digits;
  }

  void putDouble(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      putLong((long) v);
      return;
    }
    // up to six decimals exactly, without a String: most measured values are like 1.5 or 0.25
    if (Math.abs(v) < 1e9) {
      long scaled = Math.round(v * 1_000_000);
      if (scaled / 1e6 == v) {
        if (scaled < 0) {
          put((byte) '-');
          scaled = -scaled;
        }
        putLong(scaled / 1_000_000);
        long frac = scaled % 1_000_000;
        put((byte) '.');
        int digits = 6;
        while (frac % 10 == 0) {
          frac /= 10;
          digits--;
        }
        for (long d = (long) Math.pow(10, digits - 1); d > 0; d /= 10) {
          put((byte) ('0' + (frac / d) % 10));
        }
        return;
      }
    }
    put(Double.toString(v), NAME);
  }

  void putRate(double rate) {
    if (rate != lastRate) {
      lastRate = rate;
      lastRateBytes = Double.toString(rate).getBytes(StandardCharsets.US_ASCII);
    }
    put((byte) '|');
    put((byte) '@');
    put(lastRateBytes);
  }

  /** Writes {@code |#constant,tags} from a pre-encoded tag set. */
  void putTags(byte[] constantTags, Tags tags) {
    byte[] t = tags == null ? EMPTY : tags.encoded;
    if (constantTags.length == 0 && t.length == 0) {
      return;
    }
    put((byte) '|');
    put((byte) '#');
    put(constantTags);
    if (t.length > 0) {
      if (constantTags.length > 0) {
        put((byte) ',');
      }
      put(t);
    }
  }

  private static final byte[] EMPTY = new byte[0];

  /** Writes {@code |#constant,tags} from the first {@code n} tags (nothing when none). */
  void putTags(byte[] constantTags, String[] tags, int n) {
    boolean any = constantTags.length > 0;
    if (any) {
      put((byte) '|');
      put((byte) '#');
      put(constantTags);
    }
    for (int i = 0; i < n; i++) {
      String t = tags[i];
      if (t == null || t.isEmpty()) {
        continue;
      }
      if (any) {
        put((byte) ',');
      } else {
        put((byte) '|');
        put((byte) '#');
        any = true;
      }
      putCached(t, TAG);
    }
  }

  /** Writes {@code |#constant,tags} (nothing when both are empty). */
  void putTags(byte[] constantTags, String[] tags) {
    boolean any = constantTags.length > 0;
    if (any) {
      put((byte) '|');
      put((byte) '#');
      put(constantTags);
    }
    if (tags != null) {
      for (String t : tags) {
        if (t == null || t.isEmpty()) {
          continue;
        }
        if (any) {
          put((byte) ',');
        } else {
          put((byte) '|');
          put((byte) '#');
          any = true;
        }
        putCached(t, TAG);
      }
    }
  }

  /** A string as it will be written, for the pre-encoded prefix and constant tags. */
  static byte[] encode(String s, int kind) {
    LineFormatter f = new LineFormatter(s.length() * 4 + 1);
    f.put(s, kind);
    byte[] out = new byte[f.pos];
    System.arraycopy(f.buf, 0, out, 0, f.pos);
    return out;
  }
}
