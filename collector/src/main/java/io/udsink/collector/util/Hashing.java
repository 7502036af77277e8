package io.udsink.collector.util;

/** Hash mixing for keys made of several strings. */
public final class Hashing {
  private Hashing() {}

  /**
   * Spreads a hash over every bit (the finalizer of MurmurHash3), so that combining the mixed
   * hashes of parts that differ a little ({@code s1}, {@code s2}) gives no sums that cancel out.
   *
   * @param h a hash
   * @return it, mixed
   */
  public static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    h ^= h >>> 16;
    return h;
  }
}
