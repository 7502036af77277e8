package io.udsink.collector.export.prometheus;

import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Output;
import io.udsink.collector.export.cumulative.CumulativeState;

/** Feeds finished intervals into the state that {@code /metrics} shows. */
public final class PrometheusOutput implements Output {
  private final CumulativeState state;

  /**
   * Creates the output.
   *
   * @param state the state to update
   */
  public PrometheusOutput(CumulativeState state) {
    this.state = state;
  }

  @Override
  public String name() {
    return "prometheus";
  }

  @Override
  public void write(Interval iv) {
    state.apply(iv);
  }
}
