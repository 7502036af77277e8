package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.udsink.client.CollectorUnavailableException;
import io.udsink.collector.TestSupport;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServeEndToEndTest {
  @TempDir Path dir;

  /** What a workload should add up to, per series key "type name [tags]". */
  static final class Expected {
    final Map<String, Double> counterValue = new TreeMap<>();
    final Map<String, Long> counterCount = new TreeMap<>();
    final Map<String, Double> gaugeLast = new TreeMap<>();
    final Map<String, Double> distCount = new TreeMap<>();
    final Map<String, Double> distSum = new TreeMap<>();
    final Map<String, Double> distMin = new TreeMap<>();
    final Map<String, Double> distMax = new TreeMap<>();
    long setMembers;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void shouldAddUpExactlyInJsonLinesAndPrometheus(int workers) throws Exception {
    Random rnd = new Random(2026);
    Expected ex = new Expected();
    List<String> datagrams = new ArrayList<>();
    double[] rates = {1, 0.5, 0.25};
    String[] dtypes = {"ms", "h", "d"};
    String[] dlabels = {"timer", "histogram", "distribution"};
    Map<String, Double> gaugeNow = new HashMap<>();
    int member = 0;
    for (int d = 0; d < 3000; d++) {
      StringBuilder sb = new StringBuilder();
      int lines = 1 + rnd.nextInt(5);
      for (int l = 0; l < lines; l++) {
        String tags =
            rnd.nextBoolean() ? "" : "|#env:e" + rnd.nextInt(2) + ",host:h" + rnd.nextInt(3);
        String sortedTags =
            tags.isEmpty() ? "[]" : "[" + tags.substring(2).replace(",", ", ") + "]";
        int kind = rnd.nextInt(4);
        if (kind == 0) {
          String name = "c" + rnd.nextInt(4);
          int v = 1 + rnd.nextInt(9);
          double rate = rates[rnd.nextInt(3)];
          sb.append(name).append(':').append(v).append("|c");
          if (rate != 1) {
            sb.append("|@").append(rate);
          }
          sb.append(tags).append('\n');
          String key = "counter " + name + " " + sortedTags;
          ex.counterValue.merge(key, v / rate, Double::sum);
          ex.counterCount.merge(key, 1L, Long::sum);
        } else if (kind == 1) {
          String name = "g" + rnd.nextInt(3);
          String key = "gauge " + name + " " + sortedTags;
          double now = gaugeNow.getOrDefault(key, 0.0);
          if (rnd.nextBoolean() && gaugeNow.containsKey(key)) {
            int delta = rnd.nextInt(21) - 10;
            sb.append(name).append(':').append(delta >= 0 ? "+" : "").append(delta);
            now += delta;
          } else {
            int v = rnd.nextInt(100);
            sb.append(name).append(':').append(v);
            now = v;
          }
          sb.append("|g").append(tags).append('\n');
          gaugeNow.put(key, now);
          ex.gaugeLast.put(key, now);
        } else if (kind == 2) {
          // eight sets, each small enough in an interval to be counted exactly
          sb.append("s").append(member % 8).append(":m").append(member++).append("|s\n");
          ex.setMembers++;
        } else {
          int t = rnd.nextInt(3);
          String name = "x" + t;
          int v = rnd.nextInt(1000);
          double rate = rates[rnd.nextInt(3)];
          sb.append(name).append(':').append(v).append('|').append(dtypes[t]);
          if (rate != 1) {
            sb.append("|@").append(rate);
          }
          sb.append(tags).append('\n');
          String key = dlabels[t] + " " + name + " " + sortedTags;
          ex.distCount.merge(key, 1 / rate, Double::sum);
          ex.distSum.merge(key, v / rate, Double::sum);
          ex.distMin.merge(key, (double) v, Math::min);
          ex.distMax.merge(key, (double) v, Math::max);
        }
      }
      datagrams.add(sb.toString());
    }

    ServeHarness h = new ServeHarness(dir, 50, "out.jsonl", workers, 100_000);
    Map<String, Double> scraped;
    try (AFUNIXDatagramChannel tx = TestSupport.connect(h.socket)) {
      for (String dg : datagrams) {
        assertTrue(TestSupport.send(tx, dg) > 0);
      }
      TestSupport.await(
          "a flush with every datagram",
          Duration.ofSeconds(20),
          () ->
              h.telemetry.value(io.udsink.collector.export.TelemetryMetric.DATAGRAMS)
                  == datagrams.size());
      TestSupport.await(
          "Prometheus state to catch up", Duration.ofSeconds(20), () -> h.telemetry.flushes() >= 2);
      scraped = h.scrape();
    } finally {
      h.close();
    }

    // JSON lines, summed over every flush
    Map<String, Double> value = new TreeMap<>();
    Map<String, Long> count = new TreeMap<>();
    Map<String, Double> last = new TreeMap<>();
    Map<String, Double> dCount = new TreeMap<>();
    Map<String, Double> dSum = new TreeMap<>();
    Map<String, Double> dMin = new TreeMap<>();
    Map<String, Double> dMax = new TreeMap<>();
    long setTotal = 0;
    long datagramsSeen = 0;
    for (JsonNode n : h.lines()) {
      String type = n.get("type").asText();
      if (type.equals("telemetry")) {
        if (n.get("name").asText().equals("udsink.datagrams")) {
          datagramsSeen += n.get("value").asLong();
        }
        continue;
      }
      List<String> tags = new ArrayList<>();
      n.get("tags").forEach(t -> tags.add(t.asText()));
      String key = type + " " + n.get("name").asText() + " " + tags;
      switch (type) {
        case "counter":
          value.merge(key, n.get("value").asDouble(), Double::sum);
          count.merge(key, n.get("count").asLong(), Long::sum);
          break;
        case "gauge":
          last.put(key, n.get("value").asDouble());
          break;
        case "set":
          setTotal += n.get("value").asLong();
          break;
        default:
          dCount.merge(key, n.get("count").asDouble(), Double::sum);
          dSum.merge(key, n.get("sum").asDouble(), Double::sum);
          dMin.merge(key, n.get("min").asDouble(), Math::min);
          dMax.merge(key, n.get("max").asDouble(), Math::max);
          break;
      }
    }
    assertEquals(datagrams.size(), datagramsSeen);
    assertEquals(ex.counterValue, value);
    assertEquals(ex.counterCount, count);
    assertEquals(ex.gaugeLast, last);
    assertEquals(ex.setMembers, setTotal);
    assertEquals(ex.distCount, dCount);
    assertEquals(ex.distSum, dSum);
    assertEquals(ex.distMin, dMin);
    assertEquals(ex.distMax, dMax);

    // Prometheus, parsed back: the same totals
    for (Map.Entry<String, Double> e : ex.counterValue.entrySet()) {
      String sample = promSample(e.getKey(), "_total");
      assertEquals(e.getValue(), scraped.get(sample), sample);
    }
    for (Map.Entry<String, Double> e : ex.gaugeLast.entrySet()) {
      String sample = promSample(e.getKey(), "");
      assertEquals(e.getValue(), scraped.get(sample), sample);
    }
    for (Map.Entry<String, Double> e : ex.distSum.entrySet()) {
      // histograms in Prometheus: timers in seconds, the rest as sent
      double scale = e.getKey().startsWith("timer ") ? 0.001 : 1;
      double want = e.getValue() * scale;
      assertEquals(
          want, scraped.get(promSample(e.getKey(), "_sum")), Math.abs(want) * 1e-9, e.getKey());
      double promCount = (double) Math.round(ex.distCount.get(e.getKey()));
      assertEquals(promCount, scraped.get(promSample(e.getKey(), "_count")), e.getKey());
      String inf = promSample(e.getKey(), "_bucket");
      inf = inf.contains("{") ? inf.replace("}", ",le=\"+Inf\"}") : inf + "{le=\"+Inf\"}";
      assertEquals(promCount, scraped.get(inf), inf);
    }
    assertEquals(datagrams.size(), scraped.get("udsink_datagrams_total"));
  }

  /** "counter c1 [env:e0, host:h2]" as the Prometheus sample name. */
  static String promSample(String key, String suffix) {
    String[] parts = key.split(" ", 3);
    String tags = parts[2].substring(1, parts[2].length() - 1);
    StringBuilder sb = new StringBuilder(parts[1]).append(suffix);
    if (!tags.isEmpty()) {
      sb.append('{');
      String[] kv = tags.split(", ");
      for (int i = 0; i < kv.length; i++) {
        String[] p = kv[i].split(":", 2);
        sb.append(i == 0 ? "" : ",").append(p[0]).append("=\"").append(p[1]).append('"');
      }
      sb.append('}');
    }
    return sb.toString();
  }

  @RepeatedTest(5)
  void shouldFlushEverySuccessfulSendWhenStoppedUnderLoad() throws Exception {
    stopUnderLoad(dir, 1);
  }

  /**
   * Stops the pieces while three non-blocking senders send as fast as they can: every datagram
   * whose send succeeded is in the JSON lines, and every sender ends with a clear error.
   */
  static void stopUnderLoad(Path dir, int workers) throws Exception {
    ServeHarness h = new ServeHarness(dir, 20, "out.jsonl", workers, 100_000);
    int senders = 3;
    long[] sent = new long[senders];
    Exception[] failures = new Exception[senders];
    Thread[] threads = new Thread[senders];
    for (int i = 0; i < senders; i++) {
      final int id = i;
      AFUNIXDatagramChannel ch = TestSupport.connect(h.socket);
      ch.configureBlocking(false);
      threads[i] =
          new Thread(
              () -> {
                try (ch) {
                  while (true) {
                    if (TestSupport.send(ch, "load:1|c|#sender:" + id + "\nload.t:5|ms") > 0) {
                      sent[id]++;
                    } else {
                      Thread.yield();
                    }
                  }
                } catch (Exception e) {
                  failures[id] = e;
                }
              });
      threads[i].start();
    }
    TestSupport.await(
        "a few flushes under load", Duration.ofSeconds(20), () -> h.telemetry.flushes() >= 3);
    h.close();
    long total = 0;
    for (int i = 0; i < senders; i++) {
      threads[i].join(10_000);
      assertNotNull(failures[i]);
      assertNotNull(
          CollectorUnavailableException.classify("p", failures[i]), failures[i].toString());
      total += sent[i];
    }
    Map<String, Double> perSender = new TreeMap<>();
    double timerCount = 0;
    for (JsonNode n : h.lines()) {
      if (n.get("name").asText().equals("load")) {
        perSender.merge(n.get("tags").get(0).asText(), n.get("value").asDouble(), Double::sum);
      } else if (n.get("name").asText().equals("load.t")) {
        timerCount += n.get("count").asDouble();
      }
    }
    for (int i = 0; i < senders; i++) {
      assertEquals((double) sent[i], perSender.getOrDefault("sender:" + i, 0.0), "sender " + i);
    }
    assertEquals((double) total, timerCount);
  }

  @Test
  void shouldWriteSamplesWithTheirOwnTimeAtThatTimeAndShowTheLatest() throws Exception {
    long t1 = System.currentTimeMillis() / 1000 - 120;
    try (ServeHarness h = new ServeHarness(dir, 50);
        AFUNIXDatagramChannel tx = TestSupport.connect(h.socket)) {
      TestSupport.send(
          tx,
          "own.c:2|c|T"
              + t1
              + "\nown.c:3|c|T"
              + (t1 + 10)
              + "\nown.g:9|g|#k:v|T"
              + t1
              + "\nown.c:1|c\nown.h:4|h|T"
              + t1
              + "\n");
      TestSupport.await(
          "the samples on /metrics",
          Duration.ofSeconds(20),
          () -> {
            try {
              Map<String, Double> m = h.scrape();
              return Double.valueOf(6.0).equals(m.get("own_c_total"))
                  && Double.valueOf(9.0).equals(m.get("own_g{k=\"v\"}"));
            } catch (Exception e) {
              return false;
            }
          });
      List<JsonNode> own = new ArrayList<>();
      TestSupport.await(
          "the JSON lines",
          Duration.ofSeconds(20),
          () -> {
            own.clear();
            try {
              for (JsonNode n : h.lines()) {
                if (n.path("name").asText().startsWith("own.")) {
                  own.add(n);
                }
              }
            } catch (IOException e) {
              return false;
            }
            return own.size() == 5;
          });
      int timed = 0;
      for (JsonNode n : own) {
        if (n.get("interval_ms").asLong() == 0) {
          timed++;
          long ts = n.get("ts").asLong();
          assertTrue(ts == t1 * 1000 || ts == (t1 + 10) * 1000, n.toString());
        }
      }
      assertEquals(3, timed, "two counter samples and the gauge at their own time: " + own);
      assertTrue(
          own.stream()
              .anyMatch(
                  n -> n.get("name").asText().equals("own.h") && n.get("interval_ms").asLong() > 0),
          "a histogram's T is ignored: it counts in its interval");
    }
  }
}
