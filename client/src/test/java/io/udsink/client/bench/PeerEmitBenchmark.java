package io.udsink.client.bench;

import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.StatsDClient;
import io.udsink.client.Tags;
import io.udsink.client.UdsinkClient;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The caller's cost of one counter emit, udsink's client beside java-dogstatsd-client, both on
 * their defaults (aggregation on) into the same collector socket, in one run. Run by
 * {@code scripts/bench --only client} with {@code -prof gc} for the allocation per emit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PeerEmitBenchmark {
  @Param("/tmp/udsink-bench/emit.sock")
  public String socket;

  private UdsinkClient udsink;
  private StatsDClient dogstatsd;
  private static final Tags TAGS = Tags.of("env:prod", "host:web-1");

  @Setup(Level.Trial)
  public void setUp() {
    udsink = UdsinkClient.builder().socket(socket).errorHandler(e -> {}).build();
    dogstatsd =
        new NonBlockingStatsDClientBuilder().hostname(socket).port(0).errorHandler(e -> {}).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    udsink.close();
    dogstatsd.stop();
  }

  /** udsink, tags as varargs strings. */
  @Benchmark
  public void udsinkVarargs() {
    udsink.count("bench.emit", 1, "env:prod", "host:web-1");
  }

  /** udsink, tags as a reused {@link Tags}. */
  @Benchmark
  public void udsinkTags() {
    udsink.count("bench.emit", 1, TAGS);
  }

  /** java-dogstatsd-client, tags as varargs strings (its only form). */
  @Benchmark
  public void dogstatsdVarargs() {
    dogstatsd.count("bench.emit", 1, "env:prod", "host:web-1");
  }

  /** udsink, a distribution sample (not aggregated: through the ring). */
  @Benchmark
  public void udsinkDistribution() {
    udsink.distribution("bench.lat", 1.5, "env:prod", "host:web-1");
  }

  /** java-dogstatsd-client, a distribution sample. */
  @Benchmark
  public void dogstatsdDistribution() {
    dogstatsd.distribution("bench.lat", 1.5, "env:prod", "host:web-1");
  }
}
