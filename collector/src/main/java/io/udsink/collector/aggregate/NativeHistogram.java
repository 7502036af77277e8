package io.udsink.collector.aggregate;

import java.util.Arrays;

/**
 * A Prometheus native histogram's buckets: exponential, the upper bound of bucket {@code i} being
 * {@code base^i} with {@code base = 2^(2^-schema)}, so each bucket covers
 * {@code (base^(i-1), base^i]}; values at most {@link #ZERO_THRESHOLD} in magnitude go to the zero
 * bucket. Counts are kept in a dense window per sign; when more than {@code maxBuckets} buckets
 * are populated, or the window would grow past a bound, the resolution halves (the schema drops
 * by one and neighbouring buckets merge), as Prometheus clients do.
 */
public final class NativeHistogram {
  /** The zero bucket's half width, as the Prometheus clients' default: 2^-128. */
  public static final double ZERO_THRESHOLD = Math.scalb(1.0, -128);

  /** The lowest schema. */
  public static final int MIN_SCHEMA = -4;

  private static final double[][] BOUNDS = new double[9][];

  static {
    for (int s = 1; s <= 8; s++) {
      int n = 1 << s;
      BOUNDS[s] = new double[n];
      for (int i = 0; i < n; i++) {
        BOUNDS[s][i] = Math.pow(2, (double) i / n - 1);
      }
    }
  }

  private int schema;
  private final int maxBuckets;
  private long zeroCount;
  private final Window positive = new Window();
  private final Window negative = new Window();

  /**
   * Creates empty buckets.
   *
   * @param schema the starting schema, -4 to 8
   * @param maxBuckets most populated buckets
   */
  public NativeHistogram(int schema, int maxBuckets) {
    this.schema = schema;
    this.maxBuckets = Math.max(1, maxBuckets);
  }

  /** The current schema. */
  public int schema() {
    return schema;
  }

  /** Observations in the zero bucket. */
  public long zeroCount() {
    return zeroCount;
  }

  /**
   * Adds an observation.
   *
   * @param x the value, finite
   * @param count how many times it was observed
   */
  public void add(double x, long count) {
    double a = Math.abs(x);
    if (a <= ZERO_THRESHOLD) {
      zeroCount += count;
      return;
    }
    (x > 0 ? positive : negative).add(index(a, schema), count);
    fit();
  }

  /** Every observation: the zero bucket's and every bucket's. */
  public long count() {
    long n = zeroCount;
    for (long c : positive.toArrays()[1]) {
      n += c;
    }
    for (long c : negative.toArrays()[1]) {
      n += c;
    }
    return n;
  }

  /** Adds every bucket of another histogram (at the lower of the two schemas). */
  public void addAll(NativeHistogram other) {
    if (other.schema < schema) {
      reduceTo(other.schema);
    }
    int shift = other.schema - schema;
    zeroCount += other.zeroCount;
    other.positive.forEach((i, c) -> positive.add(reduce(i, shift), c));
    other.negative.forEach((i, c) -> negative.add(reduce(i, shift), c));
    fit();
  }

  /** Adds to the zero bucket (restoring a histogram handed over). */
  public void addZero(long count) {
    zeroCount += count;
  }

  /** Adds to one bucket at this histogram's schema (restoring a histogram handed over). */
  public void addBucket(boolean positiveSide, int index, long count) {
    (positiveSide ? positive : negative).add(index, count);
    fit();
  }

  /** A copy. */
  public NativeHistogram copy() {
    NativeHistogram c = new NativeHistogram(schema, maxBuckets);
    c.addAll(this);
    return c;
  }

  /** Populated positive buckets: index and count, ascending. */
  public long[][] positiveBuckets() {
    return positive.toArrays();
  }

  /** Populated negative buckets (by magnitude): index and count, ascending. */
  public long[][] negativeBuckets() {
    return negative.toArrays();
  }

  private void fit() {
    while (schema > MIN_SCHEMA
        && (positive.populated + negative.populated > maxBuckets
            || positive.span() > 8 * maxBuckets
            || negative.span() > 8 * maxBuckets)) {
      reduceTo(schema - 1);
    }
  }

  private void reduceTo(int target) {
    int shift = schema - target;
    positive.rebuild(i -> reduce(i, shift));
    negative.rebuild(i -> reduce(i, shift));
    schema = target;
  }

  /** A bucket index at a schema {@code shift} lower: the bucket that contains it. */
  static int reduce(int index, int shift) {
    int i = index;
    for (int k = 0; k < shift; k++) {
      i = (i + 1) >> 1;
    }
    return i;
  }

  /**
   * The bucket of a positive value: the smallest {@code i} with {@code value <= base^i}.
   *
   * @param value a positive finite value
   * @param schema the schema
   * @return the index
   */
  public static int index(double value, int schema) {
    int exp = Math.getExponent(value) + 1; // value = frac * 2^exp, frac in [0.5, 1)
    double frac;
    if (exp < Double.MIN_EXPONENT + 1) { // subnormal
      double scaled = value * 0x1p64;
      exp = Math.getExponent(scaled) + 1 - 64;
      frac = Math.scalb(scaled, -(exp + 64));
    } else {
      frac = Math.scalb(value, -exp);
    }
    if (schema > 0) {
      double[] b = BOUNDS[schema];
      int pos = Arrays.binarySearch(b, frac);
      if (pos < 0) {
        pos = -pos - 1;
      }
      return pos + (exp - 1) * b.length;
    }
    int key = exp;
    if (frac == 0.5) {
      key--;
    }
    int offset = (1 << -schema) - 1;
    return (key + offset) >> -schema;
  }

  /** A dense window of bucket counts around the populated indexes. */
  private static final class Window {
    private long[] counts = new long[0];
    private int offset;
    private int populated;

    void add(int index, long c) {
      if (counts.length == 0) {
        counts = new long[8];
        offset = index - 4;
      }
      int at = index - offset;
      if (at < 0 || at >= counts.length) {
        int lo = Math.min(offset, index);
        int hi = Math.max(offset + counts.length - 1, index);
        int size = Math.max(hi - lo + 1, counts.length * 2);
        long[] grown = new long[size];
        int newOffset = at < 0 ? hi - size + 1 : lo;
        System.arraycopy(counts, 0, grown, offset - newOffset, counts.length);
        counts = grown;
        offset = newOffset;
        at = index - offset;
      }
      if (counts[at] == 0 && c != 0) {
        populated++;
      }
      counts[at] += c;
    }

    int span() {
      if (populated == 0) {
        return 0;
      }
      int first = 0;
      while (counts[first] == 0) {
        first++;
      }
      int last = counts.length - 1;
      while (counts[last] == 0) {
        last--;
      }
      return last - first + 1;
    }

    void forEach(IndexCount f) {
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] != 0) {
          f.accept(i + offset, counts[i]);
        }
      }
    }

    void rebuild(java.util.function.IntUnaryOperator map) {
      long[] old = counts;
      int oldOffset = offset;
      counts = new long[0];
      populated = 0;
      for (int i = 0; i < old.length; i++) {
        if (old[i] != 0) {
          add(map.applyAsInt(i + oldOffset), old[i]);
        }
      }
    }

    long[][] toArrays() {
      long[] idx = new long[populated];
      long[] cnt = new long[populated];
      int n = 0;
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] != 0) {
          idx[n] = i + offset;
          cnt[n++] = counts[i];
        }
      }
      return new long[][] {idx, cnt};
    }
  }

  private interface IndexCount {
    void accept(int index, long count);
  }
}
