package io.udsink.collector.export.cumulative;

import io.prometheus.metrics.model.snapshots.PrometheusNaming;

/**
 * DogStatsD names and tags as Prometheus names and labels.
 *
 * <ul>
 *   <li>Metric names: every character outside {@code [a-zA-Z0-9_:]} becomes {@code _}
 *       ({@code api.request-time} becomes {@code api_request_time}); a leading digit gets a
 *       {@code _} before it; suffixes Prometheus reserves ({@code _total}, {@code _info},
 *       {@code _created}, {@code _bucket}) are removed, since the exposition adds its own.</li>
 *   <li>Label names: the same with {@code [a-zA-Z0-9_]}; a name starting with {@code __}
 *       (reserved) gets {@code tag} in front; the tag {@code quantile} becomes
 *       {@code tag_quantile} (summaries use that label).</li>
 * </ul>
 */
final class PromNames {
  private PromNames() {}

  static String metricName(String name) {
    String s = replaceInvalid(name, true);
    String cleaned = PrometheusNaming.sanitizeMetricName(s);
    return cleaned.isEmpty() ? "_" : cleaned;
  }

  static String labelName(String name) {
    String s = replaceInvalid(name, false);
    if (s.startsWith("__")) {
      s = "tag" + s;
    }
    if ("quantile".equals(s)) {
      s = "tag_quantile";
    }
    return s;
  }

  private static String replaceInvalid(String name, boolean colonAllowed) {
    StringBuilder sb = new StringBuilder(name.length() + 1);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (c >= '0' && c <= '9')
              || (colonAllowed && c == ':');
      sb.append(ok ? c : '_');
    }
    if (sb.length() == 0 || (sb.charAt(0) >= '0' && sb.charAt(0) <= '9')) {
      sb.insert(0, '_');
    }
    return sb.toString();
  }
}
