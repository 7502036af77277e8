package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.udsink.collector.Promtool;
import io.udsink.collector.TestSupport;
import io.udsink.collector.parse.ParseError;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * Random and mutated input, mixed with known-good counters, through a real socket into a running
 * serve: the good sums come out exact in both outputs, {@code /metrics} stays a valid exposition
 * after every flush, and no exception escapes the parser, the aggregator or an output.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuzzTest {
  private static final String[] TEMPLATES = {
    "m.a:1|c",
    "m.b:-2.5|c|@0.5|#env:prod,host:a",
    "m.g:+3|g",
    "m.g:-7|g|#k",
    "m.s:u1:u2|s",
    "m.t:12.5|ms|@0.25",
    "m.h:1:2:3|h|#a:b",
    "m.d:0.001|d",
    "_e{5,4}:title|text|#x:y",
    "_sc|svc|2|#a|m:msg",
    "m.x:1|c|c:abc|T1700000000",
    "fa:1|c",
    "fa_gauge:2|ms",
    "fa:3|g",
    "fa_sum:1|g",
    "fa_total:2|g",
    "fa_count:1|s",
    "udsink_datagrams:1|c",
    "m.ü:1|c|#ключ:v",
    "{\"name\":\"j\",\"type\":\"counter\",\"value\":-3}",
    "{\"name\":\"j\",\"type\":\"h\",\"values\":[1,2],\"tags\":{\"a\":\"b\"}}",
    "[{\"name\":\"j2\",\"type\":\"set\",\"values\":[\"a\",1]}]"
  };
  private static final String[] NASTY = {
    "1e308",
    "-1e308",
    "1.79e308",
    "2e308",
    "NaN",
    "Infinity",
    "-0",
    "0",
    "1e-320",
    "4.9e-324",
    "99999999999999999999999",
    "+",
    "-",
    ".",
    "1e",
    "0x10",
    "١"
  };
  private static final String[] NASTY_RATES = {
    "@1e-320", "@1e-10", "@0", "@1", "@1e-9", "@0.5", "@2", "@NaN", "@-1", "@"
  };

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldKeepGoodSumsExactAndMetricsValidWhateverElseArrives(long seed) throws Exception {
    Random rnd = new Random(seed);
    Map<String, Long> good = new TreeMap<>();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int scrapes = 0;
    try (ServeHarness h = new ServeHarness(dir, 100, "out.jsonl");
        AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
      URI metrics = URI.create("http://127.0.0.1:" + h.server.address().getPort() + "/metrics");
      for (int d = 0; d < 3000; d++) {
        ByteArrayOutputStream dg = new ByteArrayOutputStream();
        if (rnd.nextInt(10) == 0) {
          dg.writeBytes(randomBytes(rnd));
        } else {
          int lines = 1 + rnd.nextInt(6);
          for (int l = 0; l < lines; l++) {
            byte[] bad = mutate(rnd, TEMPLATES[rnd.nextInt(TEMPLATES.length)]);
            if (l == 0 && startsJson(bad)) {
              dg.writeBytes(bad); // a JSON datagram is one document: no lines after it
              break;
            }
            if (rnd.nextInt(3) == 0) {
              String name = "zzgood." + rnd.nextInt(5);
              long v = 1 + rnd.nextInt(1000);
              good.merge(name, v, Long::sum);
              dg.writeBytes((name + ":" + v + "|c|#g:1").getBytes(StandardCharsets.UTF_8));
            } else {
              dg.writeBytes(bad);
            }
            dg.write('\n');
          }
        }
        byte[] b = dg.toByteArray();
        if (b.length == 0) {
          continue;
        }
        TestSupport.sendWaiting(ch, ByteBuffer.wrap(b));
        if (d % 500 == 499) { // after a flush that took in what came so far
          long before = h.telemetry.flushes();
          TestSupport.await(
              "a flush", Duration.ofSeconds(10), () -> h.telemetry.flushes() > before + 1);
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode());
          if (scrapes++ % 2 == 0) {
            Promtool.check(r.body());
          } else {
            Promtool.checkStructure(r.body());
          }
        }
      }
      for (Map.Entry<String, Long> e : good.entrySet()) {
        String sample = e.getKey().replace('.', '_') + "_total{g=\"1\"}";
        long want = e.getValue();
        TestSupport.await(
            sample + " = " + want, Duration.ofSeconds(20), () -> scrape(h, sample) == want);
      }
      HttpResponse<String> last =
          http.send(
              HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      Promtool.check(last.body());
      h.close();
      Map<String, Long> fromJson = new TreeMap<>();
      for (JsonNode n : h.lines()) {
        if (n.has("name")
            && n.get("name").asText().startsWith("zzgood.")
            && n.get("type").asText().equals("counter")) {
          fromJson.merge(n.get("name").asText(), n.get("value").asLong(), Long::sum);
        }
        for (String f : new String[] {"value", "sum", "count", "p99"}) {
          assertTrue(!n.has(f) || n.get(f).isNumber(), "a non-number in JSON lines: " + n);
        }
      }
      assertEquals(good, fromJson);
      assertEquals(0, h.loop.stats().handlerErrors(), "exceptions out of the handler");
      assertEquals(
          0,
          h.telemetry.value(
              io.udsink.collector.export.TelemetryMetric.PARSE_ERRORS,
              ParseError.INTERNAL_ERROR.label()));
      assertEquals(0, h.telemetry.value(io.udsink.collector.export.TelemetryMetric.SERIES_ERRORS));
      assertTrue(
          h.telemetry.value(
                  io.udsink.collector.export.TelemetryMetric.PARSE_ERRORS,
                  ParseError.BAD_VALUE.label())
              > 0);
    }
    assertEquals(6, scrapes, "scraped after several flushes");
  }

  private static double scrape(ServeHarness h, String sample) {
    try {
      return h.scrape().getOrDefault(sample, -1.0);
    } catch (Exception e) {
      return -2;
    }
  }

  private static boolean startsJson(byte[] b) {
    for (byte c : b) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
        return c == '{' || c == '[';
      }
    }
    return false;
  }

  private static byte[] randomBytes(Random rnd) {
    byte[] b = new byte[rnd.nextInt(300)];
    rnd.nextBytes(b);
    return b;
  }

  /** A template, changed in one of many small ways a broken or hostile sender would. */
  static byte[] mutate(Random rnd, String template) {
    String s = template;
    switch (rnd.nextInt(12)) {
      case 0:
        return s.getBytes(StandardCharsets.UTF_8);
      case 1:
        { // a nasty number in place of the value
          int colon = s.indexOf(':');
          int pipe = s.indexOf('|');
          if (colon > 0 && pipe > colon) {
            s = s.substring(0, colon + 1) + NASTY[rnd.nextInt(NASTY.length)] + s.substring(pipe);
          }
          break;
        }
      case 2:
        s = s + "|" + NASTY_RATES[rnd.nextInt(NASTY_RATES.length)];
        break;
      case 3:
        s = s.substring(0, rnd.nextInt(s.length() + 1));
        break;
      case 4:
        { // many tags, some repeated, some empty
          StringBuilder sb = new StringBuilder(s).append("|#");
          int n = rnd.nextInt(300);
          for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",")
                .append("t")
                .append(rnd.nextInt(50))
                .append(':')
                .append(rnd.nextInt(3) == 0 ? "" : "v");
          }
          s = sb.toString();
          break;
        }
      case 5:
        { // a separator inserted anywhere
          int at = rnd.nextInt(s.length() + 1);
          s = s.substring(0, at) + "|:#,@{}\"\\".charAt(rnd.nextInt(9)) + s.substring(at);
          break;
        }
      case 6:
        { // invalid UTF-8 inside
          byte[] b = s.getBytes(StandardCharsets.UTF_8);
          byte[] bad = {
            (byte) 0xC0, (byte) 0x80, (byte) 0xFF, (byte) 0xED, (byte) 0xA0, (byte) 0x80
          };
          int at = rnd.nextInt(b.length + 1);
          ByteArrayOutputStream o = new ByteArrayOutputStream();
          o.write(b, 0, at);
          o.write(bad, 0, 1 + rnd.nextInt(bad.length));
          o.write(b, at, b.length - at);
          return o.toByteArray();
        }
      case 7: // a long name
        s = "n".repeat(rnd.nextInt(5000)) + s;
        break;
      case 8:
        { // many values
          int colon = s.indexOf(':');
          int pipe = s.indexOf('|');
          if (colon > 0 && pipe > colon) {
            StringBuilder sb = new StringBuilder(s.substring(0, colon));
            int n = rnd.nextInt(1500);
            for (int i = 0; i < n; i++) {
              sb.append(':')
                  .append(
                      rnd.nextInt(3) == 0
                          ? NASTY[rnd.nextInt(NASTY.length)]
                          : Double.toString(rnd.nextGaussian() * 1e6));
            }
            s = sb.append(s.substring(pipe)).toString();
          }
          break;
        }
      case 9: // a random type
        s =
            s.replaceFirst(
                "\\|[a-z]+",
                "|" + "cgsmhdxy".charAt(rnd.nextInt(8)) + (rnd.nextBoolean() ? "s" : ""));
        break;
      case 10: // carriage returns, blanks, NUL
        s = s.replace("|", rnd.nextBoolean() ? "\r|" : "|\u0000");
        break;
      default:
        { // a random byte flipped
          byte[] b = s.getBytes(StandardCharsets.UTF_8);
          if (b.length > 0) {
            b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
          }
          return b;
        }
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
