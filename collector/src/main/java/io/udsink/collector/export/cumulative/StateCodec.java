package io.udsink.collector.export.cumulative;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.snapshots.Labels;
import io.udsink.collector.export.SeriesLeftOut;
import io.udsink.collector.mapping.ObserverSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The takeover codec of a {@link CumulativeState}: every series with its family name, settings
 * and values, and udsink's own counters, as JSON; read back one series at a time. Called with
 * the state's lock held.
 */
final class StateCodec {
  private static final ObjectMapper STATE_JSON = new ObjectMapper();

  private StateCodec() {}

  /**
   * Every series of the state with its family name, settings and values (what it took over
   * too, handed on in turn), and udsink's own counters.
   *
   * @param s the state
   * @return the state as JSON
   */
  static byte[] write(CumulativeState s) {
    return write(s, s.telemetry, Map.of());
  }

  /**
   * The states of {@code /metrics} (when there is one) and of each remote-write receiver, and
   * udsink's own counters.
   *
   * @param metrics the state {@code /metrics} shows, or null
   * @param telemetry udsink's own counters
   * @param remote each remote-write receiver's state, by its queue key
   * @return the states as JSON
   */
  static byte[] write(
      CumulativeState metrics,
      io.udsink.collector.export.Telemetry telemetry,
      Map<String, CumulativeState> remote) {
    ObjectNode root = STATE_JSON.createObjectNode();
    if (metrics != null) {
      writeSeries(metrics, root.putArray("series"));
    }
    root.set("telemetry", telemetry.exportBase());
    if (!remote.isEmpty()) {
      ObjectNode rw = root.putObject("remote_write");
      remote.forEach(
          (key, state) -> {
            synchronized (state) {
              writeSeries(state, rw.putObject(key).putArray("series"));
            }
          });
    }
    try {
      return STATE_JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void writeSeries(CumulativeState s, ArrayNode list) {
    List<PromSeries> all = new ArrayList<>(s.series.values());
    all.addAll(s.imported.values());
    for (PromSeries p : all) {
      ObjectNode n = list.addObject();
      n.put("name", p.rawName);
      n.put("family", p.family.name());
      n.put("kind", p.kind.name());
      n.putPOJO("labels", labelMap(p.labels));
      p.export(n);
    }
  }

  static Map<String, String> labelMap(Labels labels) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < labels.size(); i++) {
      m.put(labels.getName(i), labels.getValue(i));
    }
    return m;
  }

  /**
   * Continues from an earlier instance's state, read one series at a time: cumulative values add
   * to this instance's, a gauge's last value is taken where this instance has none yet, and every
   * family keeps its name where it can. Every series comes with the settings it was made with
   * (buckets, native schema, summary quantiles and window) and a summary with its window's
   * samples, so that what this instance adds continues it exactly. A series whose state does not
   * fit is left out whole and counted ({@link SeriesLeftOut#HANDOVER_MISMATCH}); it never costs
   * the others. What it holds is bounded by {@code --max-series} (series beyond it are counted
   * as dropped), not by the size of what was sent. An empty stream is no state.
   *
   * @param s the state to continue
   * @param state what {@link #write} gave
   * @throws IOException when it does not parse
   */
  static void read(CumulativeState s, InputStream state) throws IOException {
    read(s, s.telemetry, Map.of(), state);
  }

  /**
   * Continues the states of {@code /metrics} and of each remote-write receiver from what
   * {@link #write(CumulativeState, io.udsink.collector.export.Telemetry, Map)} gave; a part
   * without a state here (no {@code /metrics}, a receiver no longer configured) is skipped.
   *
   * @param metrics the state {@code /metrics} shows, or null
   * @param telemetry udsink's own counters
   * @param remote each remote-write receiver's state, by its queue key
   * @param state the handed-over JSON
   * @throws IOException when it does not parse
   */
  static void read(
      CumulativeState metrics,
      io.udsink.collector.export.Telemetry telemetry,
      Map<String, CumulativeState> remote,
      InputStream state)
      throws IOException {
    try (JsonParser p = STATE_JSON.createParser(state)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return;
      }
      if (t != JsonToken.START_OBJECT) {
        throw new IOException("takeover state: not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if ("series".equals(field) && v == JsonToken.START_ARRAY && metrics != null) {
          readSeries(metrics, p);
        } else if ("telemetry".equals(field)) {
          telemetry.importBase(p.readValueAsTree());
        } else if ("remote_write".equals(field) && v == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            CumulativeState target = remote.get(p.currentName());
            if (p.nextToken() != JsonToken.START_OBJECT || target == null) {
              p.skipChildren();
              continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String f = p.currentName();
              if (p.nextToken() == JsonToken.START_ARRAY && "series".equals(f)) {
                synchronized (target) {
                  readSeries(target, p);
                }
              } else {
                p.skipChildren();
              }
            }
          }
        } else {
          p.skipChildren();
        }
      }
    }
  }

  private static void readSeries(CumulativeState s, JsonParser p) throws IOException {
    while (p.nextToken() == JsonToken.START_OBJECT) {
      JsonNode n = p.readValueAsTree();
      String rawName = n.path("name").asText();
      try {
        readOne(s, n, rawName);
      } catch (RuntimeException e) {
        s.telemetry.leftOut(
            SeriesLeftOut.HANDOVER_MISMATCH, CumulativeState.OUTPUT, "handed-over " + rawName, e);
      }
    }
  }

  private static void readOne(CumulativeState s, JsonNode n, String rawName) {
    PromKind kind = PromKind.valueOf(n.path("kind").asText(PromKind.GAUGE.name()));
    Map<String, String> labels = new TreeMap<>();
    n.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    String family = n.path("family").asText();
    CumulativeState.ImportedKey ik =
        new CumulativeState.ImportedKey(kind, family, labelMap(CumulativeState.labels(labels)));
    PromSeries p = s.imported.get(ik);
    if (p != null) {
      p.importFrom(n, false);
      return;
    }
    if (s.series.size() + s.imported.size() >= s.maxSeries) {
      s.droppedSeries.incrementAndGet();
      return;
    }
    ObserverSpec spec = PromSeries.observer(n);
    if (spec == null) {
      // a state without settings: the defaults of the instance that wrote it
      spec =
          ObserverSpec.defaults(
              kind == PromKind.SUMMARY ? ObserverSpec.Kind.SUMMARY : ObserverSpec.Kind.NATIVE);
    }
    FamilyNames.Family f = s.names.acquire(kind, family, family);
    long ttl = n.path("ttl_ms").asLong(s.ttlMs);
    p =
        new PromSeries(
            f,
            CumulativeState.labels(labels),
            rawName,
            kind,
            ttl > 0 ? ttl : s.ttlMs,
            n.hasNonNull("help") ? n.get("help").asText() : null,
            spec);
    try {
      p.importFrom(n, true);
    } catch (RuntimeException e) {
      s.names.release(f);
      throw e;
    }
    s.imported.put(ik, p);
  }
}
