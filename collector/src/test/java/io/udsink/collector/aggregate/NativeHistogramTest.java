package io.udsink.collector.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Native histogram buckets: every observation in the bucket that holds it, at any schema. */
class NativeHistogramTest {
  private static Map<Integer, Long> asMap(long[][] b) {
    Map<Integer, Long> m = new HashMap<>();
    for (int i = 0; i < b[0].length; i++) {
      m.put((int) b[0][i], b[1][i]);
    }
    return m;
  }

  private static Map<Integer, Long> expected(List<Double> values, int schema, boolean positive) {
    Map<Integer, Long> m = new HashMap<>();
    for (double v : values) {
      if (Math.abs(v) > NativeHistogram.ZERO_THRESHOLD && (v > 0) == positive) {
        m.merge(NativeHistogram.index(Math.abs(v), schema), 1L, Long::sum);
      }
    }
    return m;
  }

  @Test
  void shouldPutValuesOnBucketBoundsInTheLowerBucket() {
    // bucket i holds (2^((i-1)/2^s), 2^(i/2^s)]: a bound belongs to the bucket it closes
    assertEquals(0, NativeHistogram.index(1.0, 3));
    assertEquals(8, NativeHistogram.index(2.0, 3));
    assertEquals(9, NativeHistogram.index(Math.nextUp(2.0), 3));
    assertEquals(1, NativeHistogram.index(2.0, 0));
    assertEquals(1, NativeHistogram.index(16.0, -2));
    assertEquals(2, NativeHistogram.index(17.0, -2));
    assertEquals(
        -1074 * 8,
        NativeHistogram.index(Double.MIN_VALUE, 3),
        "subnormals too (below the zero threshold, 2^-128, they count as zero)");
    assertEquals(1024 * 8, NativeHistogram.index(Double.MAX_VALUE, 3));
  }

  /**
   * Random values over the whole double range (zeros, subnormals, both signs), random schemas and
   * bucket limits, fixed seeds: nothing is lost, every value is in the bucket that holds it at
   * the final schema, and the limit holds unless the coarsest schema is reached.
   */
  @Test
  void shouldKeepEveryObservationInItsBucketWhateverItReduces() {
    for (long seed = 1; seed <= 200; seed++) {
      Random rnd = new Random(seed);
      int schema = -4 + rnd.nextInt(13);
      int max = 1 + rnd.nextInt(300);
      NativeHistogram h = new NativeHistogram(schema, max);
      NativeHistogram a = new NativeHistogram(schema, max);
      NativeHistogram b = new NativeHistogram(8, max);
      List<Double> values = new ArrayList<>();
      int n = 1 + rnd.nextInt(2000);
      for (int i = 0; i < n; i++) {
        double v;
        switch (rnd.nextInt(6)) {
          case 0:
            v = 0;
            break;
          case 1:
            v = Double.MIN_VALUE * (1 + rnd.nextInt(1000));
            break;
          case 2:
            v = Double.MAX_VALUE / (1 + rnd.nextInt(1000));
            break;
          case 3:
            v = Math.exp(rnd.nextGaussian() * 3);
            break;
          default:
            v = Math.scalb(rnd.nextDouble() + 0.5, rnd.nextInt(2000) - 1000);
            break;
        }
        if (rnd.nextBoolean()) {
          v = -v;
        }
        values.add(v);
        h.add(v, 1);
        (i % 2 == 0 ? a : b).add(v, 1);
      }
      String why = "seed " + seed + " schema " + schema + " max " + max;
      int s = h.schema();
      assertEquals(expected(values, s, true), asMap(h.positiveBuckets()), why);
      assertEquals(expected(values, s, false), asMap(h.negativeBuckets()), why);
      long zeros =
          values.stream().filter(v -> Math.abs(v) <= NativeHistogram.ZERO_THRESHOLD).count();
      assertEquals(zeros, h.zeroCount(), why);
      assertTrue(
          s == NativeHistogram.MIN_SCHEMA
              || h.positiveBuckets()[0].length + h.negativeBuckets()[0].length <= max,
          why);

      a.addAll(b); // two hosts' histograms merged: as if one had seen it all
      int ms = a.schema();
      assertEquals(expected(values, ms, true), asMap(a.positiveBuckets()), why + " merged");
      assertEquals(expected(values, ms, false), asMap(a.negativeBuckets()), why + " merged");
      assertEquals(zeros, a.zeroCount(), why);
    }
  }
}
