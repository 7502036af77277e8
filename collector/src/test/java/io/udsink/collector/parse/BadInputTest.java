package io.udsink.collector.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.runtime.Intake;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random bytes and cut lines: never an exception, every bad line counted, good lines kept. */
class BadInputTest {
  @Test
  void shouldSurviveRandomBytesAndCountThem() {
    Aggregator agg = new Aggregator(100_000, 10, 0, (r, b, s, e) -> {});
    StatsdParser parser =
        new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    Random rnd = new Random(1);
    byte[] alphabet =
        "abc:|#@,._-{}[]\"\n\r0123456789+eE sgcmhd\u00ff".getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[rnd.nextInt(200)];
      for (int k = 0; k < b.length; k++) {
        b[k] =
            rnd.nextInt(4) == 0 ? (byte) rnd.nextInt(256) : alphabet[rnd.nextInt(alphabet.length)];
      }
      parser.parse(ByteBuffer.wrap(b));
    }
    long errors = Arrays.stream(ParseError.values()).mapToLong(agg::parseErrors).sum();
    assertTrue(errors > 10_000, "errors counted: " + errors);
    // the parser still works afterwards
    byte[] good = "still.ok:1|c".getBytes(StandardCharsets.UTF_8);
    parser.parse(good, 0, good.length);
    Interval iv = agg.takeInterval(1, false);
    assertTrue(Arrays.stream(iv.series()).anyMatch(s -> s.name().equals("still.ok")));
  }

  @Test
  void shouldGiveEveryCutPrefixOfAValidLineExactlyOneOutcome() {
    String[] valid = {
      "api.latency:12.5|ms|@0.5|#env:prod,host:web-1",
      "_e{5,4}:hello|text|#a:b",
      "_sc|db|1|#x|m:slow",
      "{\"name\":\"j\",\"type\":\"counter\",\"value\":2}",
      "set:member|s|#k:v"
    };
    StatsdParserTest.Recorder r = new StatsdParserTest.Recorder();
    StatsdParser parser =
        new StatsdParser(r, r, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    long prefixes = 0;
    for (String v : valid) {
      byte[] b = v.getBytes(StandardCharsets.UTF_8);
      for (int cut = 1; cut <= b.length; cut++) {
        parser.parse(b, 0, cut);
        prefixes++;
      }
    }
    // one outcome per line: either an item or a counted error, never nothing, never two
    assertEquals(prefixes, r.out.size());
    assertEquals(prefixes, parser.lines());
    long errors = r.out.stream().filter(o -> o.startsWith("error ")).count();
    assertTrue(errors > prefixes / 2, "most prefixes are malformed: " + errors);
    // the whole lines themselves are accepted
    assertTrue(
        r.out.contains("timer api.latency [12.5] @0.5 #env:prod,host:web-1"), r.out.toString());
    assertTrue(r.out.contains("set set [member] #k:v"), r.out.toString());
  }

  @Test
  void shouldShowTheOffendingTextShortenedAndPrintable() {
    byte[] b = ("bad\u0001line:x|c" + "y".repeat(300)).getBytes(StandardCharsets.UTF_8);
    String s = Intake.sample(b, 0, b.length);
    assertTrue(s.startsWith("'bad\\x01line:x|c"), s);
    assertTrue(s.contains("(" + b.length + " bytes)"), s);
    assertTrue(s.length() < 200, s);
  }
}
