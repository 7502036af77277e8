package io.udsink.collector.parse;

/**
 * Which tag formats a metric line is read with, as statsd_exporter's
 * {@code --statsd.parse-*-tags} flags choose; all on by default, as there.
 *
 * @param dogstatsd {@code name:1|c|#k:v,k2:v2}
 * @param influxdb {@code name,k=v,k2=v2:1|c}
 * @param librato {@code name#k=v,k2=v2:1|c}
 * @param signalfx {@code name[k=v,k2=v2]:1|c}
 */
public record TagStyles(boolean dogstatsd, boolean influxdb, boolean librato, boolean signalfx) {
  /** Every format, the default. */
  public static final TagStyles ALL = new TagStyles(true, true, true, true);

  /** True when some format puts tags in the name. */
  boolean nameTags() {
    return influxdb || librato || signalfx;
  }
}
