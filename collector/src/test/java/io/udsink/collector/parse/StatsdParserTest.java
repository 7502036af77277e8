package io.udsink.collector.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table of datagrams and what the parser must make of them: each line either a parsed item
 * (rendered as text) or the reason it was rejected.
 */
class StatsdParserTest {
  /** Renders everything the parser reports, in order. */
  static class Recorder implements MetricSink, ParseErrorListener {
    final List<String> out = new ArrayList<>();

    @Override
    public void metric(MetricLine l) {
      if (l.isJson()) {
        json(l);
        return;
      }
      StringBuilder sb =
          new StringBuilder(l.type().label()).append(' ').append(l.name()).append(" [");
      for (int i = 0; i < l.valueCount(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        if (l.type() == MetricType.SET) {
          sb.append(l.member(i));
        } else {
          sb.append(l.isDelta(i) ? "d" : "").append(fmt(l.value(i)));
        }
      }
      sb.append(']');
      if (l.sampleRate() != 1) {
        sb.append(" @").append(fmt(l.sampleRate()));
      }
      for (int i = 0; i < l.tagCount(); i++) {
        sb.append(i == 0 ? " #" : ",").append(l.tag(i));
      }
      if (l.timestampMs() != 0) {
        sb.append(" T").append(l.timestampMs());
      }
      out.add(sb.toString());
    }

    private void json(MetricLine l) {
      StringBuilder sb =
          new StringBuilder("json ")
              .append(l.type().label())
              .append(' ')
              .append(l.name())
              .append(' ');
      List<String> v = new ArrayList<>();
      for (int i = 0; i < l.valueCount(); i++) {
        v.add(l.type() == MetricType.SET ? l.member(i) : fmt(l.value(i)));
      }
      sb.append(v);
      if (l.sampleRate() != 1) {
        sb.append(" @").append(fmt(l.sampleRate()));
      }
      List<String> tags = new ArrayList<>();
      for (int i = 0; i < l.tagCount(); i++) {
        tags.add(l.tag(i));
      }
      sb.append(' ').append(tags);
      out.add(sb.toString());
    }

    @Override
    public void event(Event e) {
      out.add("event " + e);
    }

    @Override
    public void serviceCheck(ServiceCheck c) {
      out.add("check " + c);
    }

    @Override
    public void onParseError(ParseError reason, byte[] line, int start, int end) {
      out.add("error " + reason.label());
    }
  }

  static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  static List<String> parse(String datagram) {
    return parse(datagram.getBytes(StandardCharsets.UTF_8));
  }

  static List<String> parse(byte[] datagram) {
    Recorder r = new Recorder();
    new StatsdParser(r, r, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE)
        .parse(datagram, 0, datagram.length);
    return r.out;
  }

  static Arguments c(String datagram, String... expected) {
    return Arguments.of(datagram, List.of(expected));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // StatsD
        c("page.views:1|c", "counter page.views [1]"),
        c("page.views:-2.5|c", "counter page.views [-2.5]"),
        c("page.views:+3|c", "counter page.views [3]"),
        c("hits:1|c|@0.1", "counter hits [1] @0.1"),
        c("temp:21.5|g", "gauge temp [21.5]"),
        c("temp:+3|g", "gauge temp [d3]"),
        c("temp:-3|g", "gauge temp [d-3]"),
        c("users:alice|s", "set users [alice]"),
        c("db.query:12.25|ms", "timer db.query [12.25]"),
        c("size:512|h", "histogram size [512]"),
        c("lat:0.003|d", "distribution lat [0.003]"),
        c("big:1e3|g", "gauge big [1000]"),
        c("tiny:0.000001|ms", "timer tiny [1.0E-6]"),
        c("a:1|c\nb:2|c", "counter a [1]", "counter b [2]"),
        c("a:1|c\r\nb:2|c\r\n", "counter a [1]", "counter b [2]"),
        c("a:1|c\n\n\nb:2|c\n", "counter a [1]", "counter b [2]"),
        // DogStatsD
        c("api:1|c|#env:prod,host:a", "counter api [1] #env:prod,host:a"),
        c("api:1|c|#host:a,env:prod", "counter api [1] #env:prod,host:a"),
        c("api:1|c|#b,a,b", "counter api [1] #a,b"),
        c("api:1|c|@0.5|#env:prod", "counter api [1] @0.5 #env:prod"),
        c("api:1|c|#env:prod|@0.5", "counter api [1] @0.5 #env:prod"),
        c("h:1:2:3|h", "histogram h [1,2,3]"),
        c("s:a:b|s", "set s [a:b]"), // one member, as the Datadog Agent reads it
        c("api:1|c|c:abc123", "counter api [1] #container_id:abc123"),
        c("api:1|c|T1700000000", "counter api [1] T1700000000000"),
        c("api:1|h|T1700000000", "histogram api [1]"), // counters and gauges only
        c("api:1|c|x:future-field|#k:v", "counter api [1] #k:v"),
        c("api:1|c|#", "counter api [1]"),
        c("ünïcode:1|c|#ключ:значение", "counter ünïcode [1] #ключ:значение"),
        c(
            "_e{5,4}:hello|text",
            "event Event[title=hello, text=text, timestamp=null, hostname=null, "
                + "aggregationKey=null, priority=null, sourceType=null, alertType=null, tags=[]]"),
        c(
            "_e{5,10}:hello|line\\nnext|d:1700000000|h:web1|k:key|p:low|s:src|t:error|#b,a",
            "event Event[title=hello, text=line\nnext, timestamp=1700000000, hostname=web1, "
                + "aggregationKey=key, priority=low, sourceType=src, alertType=error, "
                + "tags=[a, b]]"),
        c(
            "_sc|db.up|0",
            "check ServiceCheck[name=db.up, status=0, timestamp=null, "
                + "hostname=null, tags=[], message=null]"),
        c(
            "_sc|db.up|2|d:1700000000|h:db1|#role:primary|m:down | since 5m",
            "check ServiceCheck[name=db.up, status=2, timestamp=1700000000, hostname=db1, "
                + "tags=[role:primary], message=down | since 5m]"),
        // JSON
        c(
            "{\"name\":\"j\",\"type\":\"counter\",\"value\":2,\"tags\":{\"env\":\"prod\",\"bare\":null}}",
            "json counter j [2] [bare, env:prod]"),
        c(
            "[{\"name\":\"a\",\"type\":\"gauge\",\"value\":1.5},"
                + "{\"name\":\"b\",\"type\":\"timer\",\"values\":[1,2],\"sample_rate\":0.5,"
                + "\"tags\":[\"x:1\"]}]",
            "json gauge a [1.5] []",
            "json timer b [1, 2] @0.5 [x:1]"),
        c("  {\"name\":\"s\",\"type\":\"set\",\"values\":[\"u1\",7]}", "json set s [u1, 7] []"),
        c("{\"name\":\"d\",\"type\":\"d\",\"value\":3}", "json distribution d [3] []"),
        // malformed StatsD, each with the next line still parsed
        c("novalue\nok:1|c", "error missing_value", "counter ok [1]"),
        c(":1|c\nok:1|c", "error empty_name", "counter ok [1]"),
        c("name:1\nok:1|c", "error missing_type", "counter ok [1]"),
        c("name:1|\nok:1|c", "error missing_type", "counter ok [1]"),
        c("name:1|x\nok:1|c", "error unknown_type", "counter ok [1]"),
        c("name:1|cc", "error unknown_type"),
        c("name:abc|c\nok:1|c", "error bad_value", "counter ok [1]"),
        c("name:|c", "error bad_value"),
        c("name:1::2|h", "histogram name [1,2]"), // an empty value skipped, as the Agent does
        c("name:1.2.3|g", "error bad_value"),
        c("name:NaN|g", "error bad_value"),
        c("name:1|c|@0", "counter name [1]"), // rate 1, as statsd_exporter reads it
        c("name:1|c|@2", "error bad_sample_rate"),
        c("name:1|c|@abc", "counter name [1]"),
        c("name:1|c|@-0.5", "error bad_sample_rate"),
        // values and rates that would overflow a sum or a sketch; the next line still counts
        c("h:2e308|h\nok:1|c", "error bad_value", "counter ok [1]"),
        c("h:1.79e308|h\nok:1|c", "error value_out_of_range", "counter ok [1]"),
        c("d:-1.79e308|d", "error value_out_of_range"),
        c("ms:1e308|ms", "timer ms [1.0E308]"),
        c("g:1.79e308|g", "gauge g [1.79E308]"),
        c("c:1|c|@1e-320\nok:1|c", "error sample_rate_out_of_range", "counter ok [1]"),
        c("c:1|c|@1e-10", "error sample_rate_out_of_range"),
        c("c:1|c|@1e-9", "counter c [1] @1.0E-9"),
        c("c:-1|c", "counter c [-1]"),
        c("n".repeat(4094) + ":1|c|#a:b", "error too_long"),
        c("n".repeat(4093) + ":1|c|#ab", "counter " + "n".repeat(4093) + " [1] #ab"),
        // malformed DogStatsD
        c("_e{5,4}:hi|text", "error bad_event"),
        c("_e{x,4}:hello|text", "error bad_event"),
        c("_e{5,40}:hello|text", "error bad_event"),
        c("_e{5,4:hello|text", "error bad_event"),
        c("_e{5,4}:hello|text|d:yesterday", "error bad_event"),
        c("_sc|db.up|7", "error bad_service_check"),
        c("_sc||0", "error bad_service_check"),
        c("_sc|db.up", "error bad_service_check"),
        // malformed JSON
        c("{\"name\":\"j\",\"type\":\"counter\"", "error bad_json"),
        c("{\"type\":\"counter\",\"value\":1}", "error bad_json"),
        c("{\"name\":\"j\",\"type\":\"meter\",\"value\":1}", "error bad_json"),
        c("{\"name\":\"j\",\"type\":\"counter\",\"value\":\"x\"}", "error bad_json"),
        c(
            "{\"name\":\"j\",\"type\":\"counter\",\"value\":1,\"sample_rate\":5}",
            "error bad_sample_rate"),
        c(
            "[{\"name\":\"ok\",\"type\":\"counter\",\"value\":1}, 5]",
            "json counter ok [1] []",
            "error bad_json"),
        c("{\"name\":\"j\",\"type\":\"counter\",\"value\":-3}", "json counter j [-3] []"),
        c("{\"name\":\"j\",\"type\":\"counter\",\"value\":1e400}", "error bad_value"),
        c("{\"name\":\"j\",\"type\":\"h\",\"value\":1.79e308}", "error value_out_of_range"),
        c(
            "{\"name\":\"j\",\"type\":\"c\",\"value\":1,\"sample_rate\":1e-320}",
            "error sample_rate_out_of_range"),
        c(
            "{\"name\":\"j\",\"type\":\"set\",\"values\":[\"b\",\"a\"],\"tags\":[\"z\",\"y\",\"z\"]}",
            "json set j [b, a] [y, z]"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("cases")
  void shouldParseOrRejectEachLine(String datagram, List<String> expected) {
    assertEquals(expected, parse(datagram));
  }

  @org.junit.jupiter.api.Test
  void shouldRejectInvalidUtf8AndKeepTheOtherLines() {
    byte[] bad = {'n', (byte) 0xff, ':', '1', '|', 'c', '\n', 'o', 'k', ':', '1', '|', 'c'};
    assertEquals(List.of("error invalid_utf8", "counter ok [1]"), parse(bad));
    byte[] badTag = "n:1|c|#k:\u00e9".getBytes(StandardCharsets.UTF_8);
    badTag = Arrays.copyOf(badTag, badTag.length - 1); // cut a two-byte character in half
    assertEquals(List.of("error invalid_utf8"), parse(badTag));
  }

  @org.junit.jupiter.api.Test
  void shouldRejectJsonWhoseBytesAreNotValidUtf8() {
    // C0 80 is an overlong NUL: a lenient decoder would turn it into a NUL in the name
    byte[] head = "{\"name\":\"a".getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\",\"type\":\"counter\",\"value\":1}".getBytes(StandardCharsets.UTF_8);
    byte[] doc = new byte[head.length + 2 + tail.length];
    System.arraycopy(head, 0, doc, 0, head.length);
    doc[head.length] = (byte) 0xC0;
    doc[head.length + 1] = (byte) 0x80;
    System.arraycopy(tail, 0, doc, head.length + 2, tail.length);
    assertEquals(List.of("error invalid_utf8"), parse(doc));
  }

  @org.junit.jupiter.api.Test
  void shouldCountALineTheSinkFailsOnAndParseTheRest() {
    Recorder r =
        new Recorder() {
          @Override
          public void metric(MetricLine l) {
            if (l.name().equals("boom")) {
              throw new IllegalStateException("a bug in the sink");
            }
            super.metric(l);
          }
        };
    byte[] b = "a:1|c\nboom:1|c\nb:2|c".getBytes(StandardCharsets.UTF_8);
    new StatsdParser(r, r, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE)
        .parse(b, 0, b.length);
    assertEquals(List.of("counter a [1]", "error internal_error", "counter b [2]"), r.out);
  }

  @org.junit.jupiter.api.Test
  void shouldParseNumbersExactly() {
    String[] texts = {
      "0.1",
      "0.3",
      "123.456",
      "-7.25",
      "1e-7",
      "3.141592653589793",
      "100000",
      "0.0001",
      "99999999999999999999",
      "1.7976931348623157e308",
      ".5",
      "5."
    };
    for (String t : texts) {
      byte[] b = t.getBytes(StandardCharsets.US_ASCII);
      assertEquals(Double.parseDouble(t), Bytes.parseNumber(b, 0, b.length), t);
    }
  }
}
