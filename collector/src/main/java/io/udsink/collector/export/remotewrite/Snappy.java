package io.udsink.collector.export.remotewrite;

import java.util.Arrays;

/**
 * Snappy's block format, as the remote-write protocol requires it: compression, and the
 * decompression of udsink's own queued requests (to take native histograms out of one).
 *
 * <p>The output is the uncompressed length as a little-endian varint, then literals and copies:
 * a literal's tag holds its length (or says how many length bytes follow), a copy's tag its
 * length (1 to 64) with a two-byte offset back into what was already produced. Matches are found
 * through a hash table of the last position of each 4-byte sequence, within the 64 KiB a
 * two-byte offset reaches; a run without matches is skipped through faster as it grows, which
 * bounds the time spent on data that does not compress.
 *
 * <p>Written here rather than taken from a library: the pure-Java implementations reach memory
 * through {@code sun.misc.Unsafe}, which current JDKs warn about and later ones will refuse,
 * and the JNI ones unpack a native library at run time.
 */
final class Snappy {
  private static final int HASH_BITS = 14;
  private static final int MAX_OFFSET = 65_535;

  private Snappy() {}

  /**
   * Compresses a whole array.
   *
   * @param in the bytes
   * @param length how many of them, from the start
   * @return the compressed block
   */
  static byte[] compress(byte[] in, int length) {
    Out out = new Out(32 + length + length / 6);
    out.varint(length);
    int[] table = new int[1 << HASH_BITS];
    Arrays.fill(table, -1);
    int literalStart = 0;
    int i = 0;
    while (i + 4 <= length) {
      int word = read32(in, i);
      int h = (word * 0x1E35A7BD) >>> (32 - HASH_BITS);
      int candidate = table[h];
      table[h] = i;
      if (candidate >= 0 && i - candidate <= MAX_OFFSET && read32(in, candidate) == word) {
        out.literal(in, literalStart, i - literalStart);
        int len = 4;
        while (i + len < length && in[candidate + len] == in[i + len]) {
          len++;
        }
        out.copy(i - candidate, len);
        i += len;
        literalStart = i;
      } else {
        i += 1 + ((i - literalStart) >>> 5);
      }
    }
    out.literal(in, literalStart, length - literalStart);
    return Arrays.copyOf(out.buf, out.pos);
  }

  /**
   * Decompresses a block.
   *
   * @param in the block
   * @param maxLength the largest uncompressed length accepted
   * @return the bytes
   * @throws IllegalArgumentException when it is not a valid block or longer than allowed
   */
  static byte[] decompress(byte[] in, int maxLength) {
    int pos = 0;
    long n = 0;
    for (int shift = 0; ; shift += 7) {
      if (pos >= in.length || shift > 28) {
        throw new IllegalArgumentException("snappy: bad length");
      }
      int b = in[pos++];
      n |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        break;
      }
    }
    if (n > maxLength) {
      throw new IllegalArgumentException("snappy: " + n + " bytes is more than " + maxLength);
    }
    byte[] out = new byte[(int) n];
    int o = 0;
    while (pos < in.length) {
      int tag = in[pos++] & 0xFF;
      int len;
      int offset;
      switch (tag & 3) {
        case 0 -> {
          len = tag >>> 2;
          if (len >= 60) {
            int bytes = len - 59;
            if (pos + bytes > in.length) {
              throw new IllegalArgumentException("snappy: truncated literal length");
            }
            len = 0;
            for (int k = 0; k < bytes; k++) {
              len |= (in[pos++] & 0xFF) << (8 * k);
            }
          }
          len++;
          if (len <= 0 || pos + len > in.length || o + len > out.length) {
            throw new IllegalArgumentException("snappy: literal out of bounds");
          }
          System.arraycopy(in, pos, out, o, len);
          pos += len;
          o += len;
          continue;
        }
        case 1 -> {
          if (pos >= in.length) {
            throw new IllegalArgumentException("snappy: truncated copy");
          }
          len = ((tag >>> 2) & 7) + 4;
          offset = ((tag >>> 5) << 8) | (in[pos++] & 0xFF);
        }
        case 2 -> {
          if (pos + 2 > in.length) {
            throw new IllegalArgumentException("snappy: truncated copy");
          }
          len = (tag >>> 2) + 1;
          offset = (in[pos] & 0xFF) | (in[pos + 1] & 0xFF) << 8;
          pos += 2;
        }
        default -> {
          if (pos + 4 > in.length) {
            throw new IllegalArgumentException("snappy: truncated copy");
          }
          len = (tag >>> 2) + 1;
          offset = read32(in, pos);
          pos += 4;
        }
      }
      if (offset <= 0 || offset > o || o + len > out.length) {
        throw new IllegalArgumentException("snappy: copy out of bounds");
      }
      for (int k = 0; k < len; k++, o++) {
        out[o] = out[o - offset];
      }
    }
    if (o != out.length) {
      throw new IllegalArgumentException("snappy: " + o + " of " + out.length + " bytes");
    }
    return out;
  }

  private static int read32(byte[] b, int i) {
    return (b[i] & 0xFF)
        | (b[i + 1] & 0xFF) << 8
        | (b[i + 2] & 0xFF) << 16
        | (b[i + 3] & 0xFF) << 24;
  }

  /** A growing output buffer. */
  private static final class Out {
    byte[] buf;
    int pos;

    Out(int size) {
      buf = new byte[size];
    }

    private void room(int n) {
      if (pos + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
      }
    }

    void varint(int v) {
      room(5);
      while ((v & ~0x7F) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void literal(byte[] in, int from, int n) {
      if (n == 0) {
        return;
      }
      room(n + 5);
      int m = n - 1;
      if (m < 60) {
        buf[pos++] = (byte) (m << 2);
      } else {
        int bytes = m < 1 << 8 ? 1 : m < 1 << 16 ? 2 : m < 1 << 24 ? 3 : 4;
        buf[pos++] = (byte) ((59 + bytes) << 2);
        for (int k = 0; k < bytes; k++) {
          buf[pos++] = (byte) (m >>> (8 * k));
        }
      }
      System.arraycopy(in, from, buf, pos, n);
      pos += n;
    }

    void copy(int offset, int len) {
      while (len > 0) {
        int piece = Math.min(len, 64);
        room(3);
        buf[pos++] = (byte) (((piece - 1) << 2) | 2);
        buf[pos++] = (byte) offset;
        buf[pos++] = (byte) (offset >>> 8);
        len -= piece;
      }
    }
  }
}
