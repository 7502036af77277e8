package io.udsink.collector.export.remotewrite;

import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.parse.StatsdParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The encoding of one remote-write flush of {@value #SERIES} counter series with two labels
 * each, as the output's worker does it: the state updated, every series' labels built, new and
 * gone series found, every request encoded and compressed. Not the queue's append and fsync
 * (the disk's time, not udsink's), nor the parse of the lines (in the setup's interval). Time per
 * op is per flush; {@value #SERIES} samples (and about 50 of udsink's own) per flush. Run by
 * {@code scripts/bench --only remotewrite}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class RemoteWriteBenchmark {
  static final int SERIES = 100_000;

  private Path dir;
  private RemoteWriteOutput output;
  private Aggregator aggregator;
  private StatsdParser parser;
  private long endMs = 1_700_000_000_000L;

  private Interval interval;

  @Setup
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("udsink-rw-bench");
    aggregator = new Aggregator(SERIES * 2, 10, 0, (r, b, s, e) -> {});
    parser =
        new StatsdParser(
            aggregator, aggregator, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < SERIES; i++) {
      b.append("app.requests.s")
          .append(i % 1000)
          .append(":1|c|#endpoint:/api/v")
          .append(i / 1000)
          .append(",code:200\n");
    }
    byte[] lines = b.toString().getBytes(StandardCharsets.UTF_8);
    parser.parse(lines, 0, lines.length);
    interval = aggregator.takeInterval(endMs, false);
    output =
        new RemoteWriteOutput(
            java.net.URI.create("http://127.0.0.1:9/api/v1/write"),
            new CumulativeState(3_600_000, SERIES * 2, new Telemetry()),
            Map.of("job", "udsink", "instance", "bench"),
            Map.of(),
            java.time.Duration.ofSeconds(1),
            new RemoteWriteOutput.Queue(dir.resolve("q"), 256L << 20),
            true);
  }

  @Benchmark
  public Object flush() {
    endMs += 10_000;
    return output.requests(
        new Interval(
            endMs - 10_000,
            endMs,
            interval.series(),
            List.of(),
            List.of(),
            interval.counters(),
            interval.parseErrors(),
            false,
            List.of()));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    output.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
