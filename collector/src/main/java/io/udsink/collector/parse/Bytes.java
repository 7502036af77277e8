package io.udsink.collector.parse;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What every grammar needs on raw bytes, without allocating: decimal numbers, a byte search and
 * an ASCII check eight bytes at a time, comparisons.
 */
final class Bytes {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final double[] POW10 = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = p;
      p *= 10;
    }
  }

  private Bytes() {}

  /**
   * Parses a decimal number without allocating in the common cases; NaN when it is not one.
   * Exact for up to 15 significant digits and 22 decimals (both operands of the division are
   * exact doubles, so the quotient is correctly rounded); otherwise falls back to the JDK.
   */
  static double parseNumber(byte[] b, int s, int e) {
    if (s >= e) {
      return Double.NaN;
    }
    int i = s;
    boolean negative = false;
    if (b[i] == '+' || b[i] == '-') {
      negative = b[i] == '-';
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int fraction = 0;
    boolean dot = false;
    boolean any = false;
    for (; i < e; i++) {
      byte c = b[i];
      if (c >= '0' && c <= '9') {
        any = true;
        if (mantissa == 0 && c == '0') {
          if (dot) {
            fraction++;
          }
          continue;
        }
        if (digits >= 15) {
          return slowNumber(b, s, e);
        }
        mantissa = mantissa * 10 + (c - '0');
        digits++;
        if (dot) {
          fraction++;
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else if (c == 'e' || c == 'E') {
        return slowNumber(b, s, e);
      } else {
        return Double.NaN;
      }
    }
    if (!any) {
      return Double.NaN;
    }
    if (fraction > 22) {
      return slowNumber(b, s, e);
    }
    double v = fraction == 0 ? mantissa : mantissa / POW10[fraction];
    return negative ? -v : v;
  }

  private static double slowNumber(byte[] b, int s, int e) {
    for (int i = s; i < e; i++) {
      byte c = b[i];
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        return Double.NaN;
      }
    }
    try {
      return Double.parseDouble(new String(b, s, e - s, StandardCharsets.US_ASCII));
    } catch (NumberFormatException ex) {
      return Double.NaN;
    }
  }

  /** A non-negative decimal of at most 9 digits, or -1. */
  static long parseLength(byte[] b, int s, int e) {
    if (s >= e || e - s > 9) {
      return -1;
    }
    long n = 0;
    for (int i = s; i < e; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return -1;
      }
      n = n * 10 + (b[i] - '0');
    }
    return n;
  }

  /** A non-negative decimal of at most 18 digits, or -1. */
  static long parseDigits(byte[] b, int s, int e) {
    if (s >= e || e - s > 18) {
      return -1;
    }
    long n = 0;
    for (int i = s; i < e; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return -1;
      }
      n = n * 10 + (b[i] - '0');
    }
    return n;
  }

  /** True when no byte of {@code b[s, e)} has its high bit set; eight bytes at a time. */
  static boolean isAscii(byte[] b, int s, int e) {
    long or = 0;
    int i = s;
    for (; i + 8 <= e; i += 8) {
      or |= (long) LONGS.get(b, i);
    }
    for (; i < e; i++) {
      or |= b[i];
    }
    return (or & 0x8080808080808080L) == 0;
  }

  /**
   * The first {@code c} in {@code b[from, to)}, or -1. Eight bytes at a time: XOR with the byte
   * repeated turns a match into a zero byte, and {@code (x - 0x01..) & ~x & 0x80..} marks the
   * lowest zero byte exactly (higher marks may be false, but only the lowest is used).
   */
  static int indexOf(byte[] b, byte c, int from, int to) {
    int i = from;
    long pattern = (c & 0xffL) * 0x0101010101010101L;
    for (; i + 8 <= to; i += 8) {
      long x = (long) LONGS.get(b, i) ^ pattern;
      long t = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
      if (t != 0) {
        return i + (Long.numberOfTrailingZeros(t) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  /** Unsigned byte order of two ranges of one array. */
  static int compare(byte[] b, int s1, int e1, int s2, int e2) {
    return Arrays.compareUnsigned(b, s1, e1, b, s2, e2);
  }

  static boolean isBlank(byte c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  static String str(byte[] b, int s, int e) {
    return new String(b, s, e - s, StandardCharsets.UTF_8);
  }

  /**
   * Where the {@code |}-separated field that starts at {@code fs} ends: the next {@code |}, or
   * {@code e}. The grammars walk their fields as
   * {@code for (int fs = start + 1; fs <= e; fs = fe + 1) { fe = fieldEnd(b, fs, e); ... }}.
   */
  static int fieldEnd(byte[] b, int fs, int e) {
    int fe = indexOf(b, (byte) '|', fs, e);
    return fe < 0 ? e : fe;
  }
}
