package io.udsink.client.bench;

import io.udsink.client.ClientErrorHandler;
import io.udsink.client.UdsinkClient;
import java.time.Duration;
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
 * Cost of one emit on the calling thread, non-blocking mode, a counter with two tags:
 * {@code live} (reused {@code Tags}) and {@code liveVarargs} into a running collector ({@code socket} parameter; {@code scripts/bench} starts
 * {@code udsink serve} there), {@code collectorDown} with no collector at all, and
 * {@code afterClose} into a closed client, which is only a drop counter.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EmitBenchmark {
  @Param("/tmp/udsink-bench/emit.sock")
  public String socket;

  private UdsinkClient live;
  private UdsinkClient down;
  private UdsinkClient closed;

  private static final ClientErrorHandler QUIET = e -> {};

  @Setup(Level.Trial)
  public void setUp() {
    live = UdsinkClient.builder().socket(socket).errorHandler(QUIET).build();
    down =
        UdsinkClient.builder()
            .socket(socket + ".absent")
            .errorHandler(QUIET)
            .backoff(Duration.ofMillis(50), Duration.ofSeconds(5))
            .build();
    closed = UdsinkClient.builder().socket(socket).errorHandler(QUIET).build();
    closed.close();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.println();
    System.out.println("live client: " + live.stats());
    live.close();
    down.close();
  }

  private static final io.udsink.client.Tags TAGS =
      io.udsink.client.Tags.of("env:prod", "host:web-1");

  /** Into a running collector, tags as a reused {@code Tags}: the allocation-free form. */
  @Benchmark
  public void live() {
    live.count("bench.emit", 1, TAGS);
  }

  /** Into a running collector, tags as varargs strings (the call allocates their array). */
  @Benchmark
  public void liveVarargs() {
    live.count("bench.emit", 1, "env:prod", "host:web-1");
  }

  /** No collector: dropped at the caller. */
  @Benchmark
  public void collectorDown() {
    down.count("bench.emit", 1, "env:prod", "host:web-1");
  }

  /** A closed client: nothing but a drop counter. */
  @Benchmark
  public void afterClose() {
    closed.count("bench.emit", 1, "env:prod", "host:web-1");
  }
}
