package io.udsink.collector.export.remotewrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.airlift.compress.snappy.SnappyDecompressor;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** udsink's snappy encoder, decoded by an independent implementation. */
class SnappyTest {
  private static byte[] roundTrip(byte[] in) {
    byte[] c = Snappy.compress(in, in.length);
    assertEquals(in.length, SnappyDecompressor.getUncompressedLength(c, 0));
    byte[] out = new byte[in.length];
    int n = new SnappyDecompressor().decompress(c, 0, c.length, out, 0, out.length);
    assertEquals(in.length, n);
    assertArrayEquals(in, out);
    assertArrayEquals(in, Snappy.decompress(c, in.length), "udsink's own decoder agrees");
    return c;
  }

  @Test
  void shouldDecodeToTheInputForEdgeSizesAndShapes() {
    for (int n :
        new int[] {
          0, 1, 3, 4, 5, 59, 60, 61, 64, 65, 255, 256, 257, 65_535, 65_536, 65_537, 200_000
        }) {
      roundTrip(new byte[n]);
      byte[] ramp = new byte[n];
      for (int i = 0; i < n; i++) {
        ramp[i] = (byte) i;
      }
      roundTrip(ramp);
    }
  }

  @Test
  void shouldCompressWhatRepeatsAndNotGrowWhatDoesNot() {
    byte[] text =
        "__name__\u0000udsink_requests_total\u0000instance\u0000host-1\u0000"
            .repeat(5000)
            .getBytes(StandardCharsets.UTF_8);
    assertTrue(roundTrip(text).length < text.length / 10);
    byte[] noise = new byte[100_000];
    new Random(3).nextBytes(noise);
    assertTrue(roundTrip(noise).length <= noise.length + noise.length / 6 + 32);
  }

  /** Random mixtures of copied runs, fresh bytes and long matches, with fixed seeds. */
  @Test
  void shouldRoundTripRandomMixtures() {
    for (long seed = 1; seed <= 300; seed++) {
      Random rnd = new Random(seed);
      int n = rnd.nextInt(seed % 10 == 0 ? 300_000 : 5000);
      byte[] b = new byte[n];
      int i = 0;
      while (i < n) {
        int run = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 400);
        if (i > 0 && rnd.nextInt(3) > 0) {
          int from = rnd.nextInt(Math.min(i, rnd.nextBoolean() ? 70_000 : 100));
          for (int k = 0; k < run && i < n; k++, i++) {
            b[i] = b[i - 1 - from];
          }
        } else {
          for (int k = 0; k < run && i < n; k++, i++) {
            b[i] = (byte) rnd.nextInt(rnd.nextBoolean() ? 4 : 256);
          }
        }
      }
      roundTrip(b);
    }
  }

  @Test
  void shouldRefuseDamagedBlocksWithAClearErrorAndNeverReadOutOfBounds() {
    Random r = new Random(11);
    for (int k = 0; k < 2000; k++) {
      byte[] in = new byte[r.nextInt(3000)];
      for (int i = 0; i < in.length; i++) {
        in[i] = (byte) ('a' + r.nextInt(3));
      }
      byte[] c = Snappy.compress(in, in.length);
      byte[] bad = c.clone();
      int flips = 1 + r.nextInt(3);
      for (int f = 0; f < flips && bad.length > 0; f++) {
        bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
      }
      if (r.nextBoolean() && bad.length > 1) {
        bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
      }
      try {
        byte[] out = Snappy.decompress(bad, 1 << 20);
        assertTrue(out.length <= 1 << 20);
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage().startsWith("snappy:"), expected.getMessage());
      }
    }
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> Snappy.decompress(Snappy.compress(new byte[5000], 5000), 4999),
        "longer than allowed");
  }
}
