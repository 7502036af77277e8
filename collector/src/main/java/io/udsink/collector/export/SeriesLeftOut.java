package io.udsink.collector.export;

/** Why an output left a series out: each is counted, and each series' name logged once. */
public enum SeriesLeftOut {
  /** Turning the series into output failed (a bug): the rest of the output goes on. */
  FAILED("failed"),
  /**
   * Two series share a Prometheus name and labels, but their buckets or summary windows were
   * made with other settings (a mapping file changed them) and cannot add up: the one updated
   * last is shown.
   */
  LAYOUT_CONFLICT("layout_conflict"),
  /** A series the instance taken over from handed over that does not fit its own settings. */
  HANDOVER_MISMATCH("handover_mismatch");

  private final String label;

  SeriesLeftOut(String label) {
    this.label = label;
  }

  /** The {@code reason} label. */
  public String label() {
    return label;
  }
}
