package io.udsink.collector.aggregate;

import io.udsink.collector.parse.StatsdParser;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Parse + aggregate alone, on the receive loop's thread: throughput in lines per second for
 * typical DogStatsD lines with 2 to 4 tags from a population of {@value #SERIES} series, packed
 * {@value #LINES} to a datagram (about 6 KB).
 * Run by {@code scripts/bench --only parse}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ParseAggregateBenchmark {
  static final int LINES = 100;
  private static final int DATAGRAMS = 1024;
  private static final int SERIES = 2000;

  private byte[][] datagrams;
  private Aggregator aggregator;
  private StatsdParser parser;
  private int next;
  private long sinceFlush;

  @Setup
  public void setUp() {
    Random rnd = new Random(3);
    String[] types = {"c", "c", "c", "ms", "g", "h", "d", "c"};
    // a fixed population of series, as a fleet of emitters has: name, type and 2-4 tags
    String[][] series = new String[SERIES][];
    for (int i = 0; i < SERIES; i++) {
      StringBuilder tags = new StringBuilder("|#env:prod,host:web-").append(rnd.nextInt(16));
      int extra = rnd.nextInt(3);
      if (extra > 0) {
        tags.append(",region:eu-").append(rnd.nextInt(3));
      }
      if (extra > 1) {
        tags.append(",version:1.").append(rnd.nextInt(4));
      }
      series[i] =
          new String[] {
            "app.service" + rnd.nextInt(20) + ".metric" + rnd.nextInt(50),
            types[rnd.nextInt(types.length)],
            tags.toString()
          };
    }
    datagrams = new byte[DATAGRAMS][];
    for (int d = 0; d < DATAGRAMS; d++) {
      StringBuilder sb = new StringBuilder();
      for (int l = 0; l < LINES; l++) {
        String[] s = series[rnd.nextInt(SERIES)];
        sb.append(s[0]).append(':').append(rnd.nextInt(1000)).append('|').append(s[1]);
        if (rnd.nextInt(4) == 0) {
          sb.append("|@0.5");
        }
        sb.append(s[2]).append('\n');
      }
      datagrams[d] = sb.toString().getBytes(StandardCharsets.UTF_8);
    }
    aggregator = new Aggregator(100_000, 10, 0, (r, b, s, e) -> {});
    parser =
        new StatsdParser(
            aggregator, aggregator, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
  }

  /** One datagram of {@value #LINES} lines; a flush hand-off every 10,000 datagrams. */
  @Benchmark
  @OperationsPerInvocation(LINES)
  public int parseAndAggregate() {
    byte[] d = datagrams[next++ & (DATAGRAMS - 1)];
    parser.parse(d, 0, d.length);
    if (++sinceFlush == 10_000) {
      sinceFlush = 0;
      return aggregator.takeInterval(0, false).series().length;
    }
    return aggregator.liveSeries();
  }
}
