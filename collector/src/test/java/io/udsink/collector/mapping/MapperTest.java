package io.udsink.collector.mapping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.parse.MetricType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mapping file's rules, case by case: the cases statsd_exporter's documentation describes,
 * and what a file must not be able to do.
 */
class MapperTest {
  @TempDir Path dir;

  private static Mapper rules(String yaml) {
    return MappingFile.parse(yaml, 1000);
  }

  @Test
  void shouldTurnGlobPartsIntoNameAndLabels() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "test.dispatcher.*.*.*"
          name: "dispatcher_events_total"
          labels:
            processor: "$1"
            action: "$2"
            outcome: "$3"
            job: "test_dispatcher"
        - match: "*.signup.*.*"
          name: "signup_events_total"
          labels:
            provider: "$2"
            outcome: "$3"
            job: "${1}_server"
        - match: "test.*.*.counter"
          name: "${2}_total"
          labels:
            provider: "$1"
        """);
    Mapped a = m.map("test.dispatcher.FooProcessor.send.success", MetricType.COUNTER);
    assertEquals("dispatcher_events_total", a.name());
    assertEquals(
        Map.of(
            "processor",
            "FooProcessor",
            "action",
            "send",
            "outcome",
            "success",
            "job",
            "test_dispatcher"),
        a.labels());
    assertTrue(a.matched());
    Mapped b = m.map("foo_product.signup.facebook.failure", MetricType.COUNTER);
    assertEquals("signup_events_total", b.name());
    assertEquals(
        Map.of("provider", "facebook", "outcome", "failure", "job", "foo_product_server"),
        b.labels());
    Mapped c = m.map("test.aws.requests.counter", MetricType.COUNTER);
    assertEquals("requests_total", c.name(), "a capture in the name");
    assertEquals(Map.of("provider", "aws"), c.labels());
    Mapped none = m.map("test.web-server.foo.bar", MetricType.COUNTER);
    assertEquals("test_web_server_foo_bar", none.name(), "unmatched names are escaped");
    assertEquals(Map.of(), none.labels());
    assertFalse(none.matched());
    assertEquals(
        "test_dispatcher_x_y",
        m.map("test.dispatcher.x.y", MetricType.COUNTER).name(),
        "a * stands for exactly one part");
  }

  @Test
  void shouldLetTheFirstGlobInTheFileWinUnlessOrderingIsDisabled() {
    String rules =
        """
        mappings:
        - match: "a.*.*"
          name: "star_star"
        - match: "a.*.d"
          name: "star_d"
        - match: "a.b.*"
          name: "b_star"
        - match: "a.b.c"
          name: "b_c"
        """;
    Mapper ordered = rules(rules);
    assertEquals("star_star", ordered.map("a.b.c", MetricType.GAUGE).name());
    assertEquals("star_star", ordered.map("a.x.d", MetricType.GAUGE).name());
    Mapper unordered = rules("defaults:\n  glob_disable_ordering: true\n" + rules);
    assertEquals("b_c", unordered.map("a.b.c", MetricType.GAUGE).name());
    assertEquals(
        "b_star",
        unordered.map("a.b.d", MetricType.GAUGE).name(),
        "a literal part beats a * at the same level, left to right");
    assertEquals("star_d", unordered.map("a.x.d", MetricType.GAUGE).name());
    assertEquals("star_star", unordered.map("a.x.y", MetricType.GAUGE).name());
  }

  @Test
  void shouldTryGlobsBeforeRegexesWhateverTheirOrder() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "svc\\\\.(\\\\w+)\\\\.hits"
          match_type: regex
          name: "regex_${1}"
        - match: "svc.*.hits"
          name: "glob_${1}"
        """);
    assertEquals("glob_api", m.map("svc.api.hits", MetricType.COUNTER).name());
    assertEquals(
        "regex_api",
        m.map("pre.svc.api.hits", MetricType.COUNTER).name(),
        "a regex searches the name; it need not match all of it");
  }

  @Test
  void shouldExpandRegexGroupsAndTheWholeMatch() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "(.*)\\\\.(.*)--(.*)\\\\.status\\\\.(.*)\\\\.count"
          match_type: regex
          name: "request_total"
          labels:
            hostname: "$1"
            exec: "$2"
            protocol: "$3"
            code: "$4"
        - match: ".+"
          match_type: regex
          name: "$0"
          labels:
            statsd_metric_name: "$0"
        """);
    Mapped r = m.map("web01.proxy--http.status.200.count", MetricType.COUNTER);
    assertEquals("request_total", r.name());
    assertEquals(
        Map.of("hostname", "web01", "exec", "proxy", "protocol", "http", "code", "200"),
        r.labels());
    Mapped all = m.map("my.statsd_counter", MetricType.COUNTER);
    assertEquals("my_statsd_counter", all.name(), "the name is escaped after expansion");
    assertEquals(
        Map.of("statsd_metric_name", "my.statsd_counter"),
        all.labels(),
        "label values are not escaped");
  }

  @Test
  void shouldEscapeNamesAsStatsdExporterDoes() {
    String[][] table = {
      {"clean", "clean"},
      {"0starts_with_digit", "_0starts_with_digit"},
      {"with_underscore", "with_underscore"},
      {"with--doubledash", "with_doubledash"},
      {"with---multiple-dashes", "with_multiple_dashes"},
      {"with.dot", "with_dot"},
      {"with\uD83D\uDE31emoji", "with_emoji"},
      {"with.*.multiple", "with___multiple"},
      {"test.web-server.foo.bar", "test_web_server_foo_bar"},
      {"caf\u00e9", "caf_"},
      {"", ""},
    };
    for (String[] row : table) {
      assertEquals(row[1], Escape.metricName(row[0]), row[0]);
    }
  }

  @Test
  void shouldDropOnActionDropAndOnANameThatExpandsToNothing() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "test.timing.*.*.*"
          name: "my_timer"
          labels:
            provider: "$2"
            outcome: "$3"
            job: "${1}_server"
        - match: "^empty(\\\\d*)$"
          match_type: regex
          name: "$1"
        - match: "."
          match_type: regex
          action: drop
          name: "dropped"
        """);
    assertFalse(m.map("test.timing.a.b.c", MetricType.TIMER).drop());
    assertTrue(m.map("anything.else", MetricType.COUNTER).drop(), "the catch-all drop");
    assertTrue(m.map("empty", MetricType.COUNTER).drop(), "a name that expands to nothing");
    assertEquals("_7", m.map("empty7", MetricType.COUNTER).name());
  }

  @Test
  void shouldMatchOnlyTheGivenMetricType() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "test.foo.*"
          name: "test_foo_total"
          match_metric_type: counter
          labels:
            provider: "$1"
        - match: "test.foo.*"
          name: "test_foo_seconds"
          match_metric_type: observer
          labels:
            provider: "$1"
        - match: "(.*)\\\\.level"
          match_type: regex
          match_metric_type: gauge
          name: "${1}_level"
        """);
    assertEquals("test_foo_total", m.map("test.foo.x", MetricType.COUNTER).name());
    assertEquals("test_foo_seconds", m.map("test.foo.x", MetricType.TIMER).name());
    assertEquals("test_foo_seconds", m.map("test.foo.x", MetricType.DISTRIBUTION).name());
    assertEquals(
        "test_foo_x", m.map("test.foo.x", MetricType.GAUGE).name(), "no rule for gauges: escaped");
    assertEquals("tank_level", m.map("tank.level", MetricType.GAUGE).name());
    assertEquals("tank_level", m.map("tank.level", MetricType.SET).name(), "a set is a gauge");
    assertFalse(m.map("tank.level", MetricType.COUNTER).matched());
  }

  @Test
  void shouldTakeDefaultsForTtlObserverAndOptions() {
    Mapper m =
        rules(
            """
        defaults:
          ttl: 1m20s
          observer_type: histogram
          histogram_options:
            buckets: [0.01, 0.1, 1]
        mappings:
        - match: "a.*"
          name: "a_seconds"
          ttl: 0s
        - match: "b.*"
          name: "b_seconds"
          ttl: 10s
          timer_type: summary
          summary_options:
            max_age: 30s
            age_buckets: 3
            quantiles:
            - quantile: 0.99
              error: 0.001
        - match: "c.*"
          name: "c_seconds"
          histogram_options:
            buckets: [1, 2, 4, .inf]
            native_histogram_bucket_factor: 1.5
        """);
    Mapped a = m.map("a.x", MetricType.TIMER);
    assertEquals(80_000, a.ttlMs(), "a ttl of 0 inherits the default");
    assertEquals(ObserverSpec.Kind.HISTOGRAM, a.observer().kind());
    assertArrayEquals(new double[] {0.01, 0.1, 1}, a.observer().buckets());
    assertTrue(a.observer().nativeBuckets(), "a mapping file's histograms carry native buckets");
    Mapped b = m.map("b.x", MetricType.TIMER);
    assertEquals(10_000, b.ttlMs());
    assertEquals(ObserverSpec.Kind.SUMMARY, b.observer().kind(), "timer_type is observer_type");
    assertEquals(30_000, b.observer().maxAgeMs());
    assertEquals(3, b.observer().ageBuckets());
    assertEquals(List.of(new ObserverSpec.Quantile(0.99, 0.001)), b.observer().quantiles());
    Mapped c = m.map("c.x", MetricType.HISTOGRAM);
    assertArrayEquals(new double[] {1, 2, 4}, c.observer().buckets(), "+Inf is implied");
    assertEquals(ObserverSpec.schemaFor(1.5), c.observer().nativeSchema());
    assertEquals(1, ObserverSpec.schemaFor(1.5));
    assertEquals(3, ObserverSpec.schemaFor(1.1));
    Mapped unmatched = m.map("zzz", MetricType.TIMER);
    assertEquals(ObserverSpec.Kind.HISTOGRAM, unmatched.observer().kind());
    assertEquals(80_000, unmatched.ttlMs());
  }

  @Test
  void shouldDefaultObserversToSummariesWithAFileAsStatsdExporterDoes() {
    Mapped m = rules("mappings: []").map("x", MetricType.TIMER);
    assertEquals(ObserverSpec.Kind.SUMMARY, m.observer().kind());
    assertEquals(ObserverSpec.DEFAULT_QUANTILES, m.observer().quantiles());
    assertEquals(600_000, m.observer().maxAgeMs());
    assertEquals(
        ObserverSpec.Kind.NATIVE,
        Mapper.none(ObserverSpec.defaults(ObserverSpec.Kind.NATIVE))
            .map("x", MetricType.TIMER)
            .observer()
            .kind(),
        "without a file, udsink's own default");
  }

  @Test
  void shouldCarryScaleHelpAndHonorLabels() {
    Mapper m =
        rules(
            """
        mappings:
        - match: foo.latency_ms
          name: foo_latency_seconds
          scale: 0.001
          help: "Foo latency"
        - match: bar.processed_kb
          name: bar_processed_bytes
          scale: 1024
          honor_labels: true
          labels:
            env: "default"
        """);
    Mapped foo = m.map("foo.latency_ms", MetricType.GAUGE);
    assertEquals(0.001, foo.scale());
    assertEquals("Foo latency", foo.help());
    assertFalse(foo.honorLabels());
    Mapped bar = m.map("bar.processed_kb", MetricType.COUNTER);
    assertEquals(1024, bar.scale());
    assertTrue(bar.honorLabels());
    assertNull(m.map("other", MetricType.COUNTER).help());
  }

  @Test
  void shouldRefuseFilesStatsdExporterRefusesNamingTheProblem() {
    String[][] bad = {
      {"mappings:\n- match: a.b\n  name: x\n  colour: red\n", "colour"},
      {"mappings:\n- match: a.b\n", "didn't set a metric name"},
      {"mappings:\n- match: a..b\n  name: x\n", "invalid match"},
      {"mappings:\n- match: a.b\n  name: 9x\n", "9x"},
      {"mappings:\n- match: a.b\n  name: x\n  labels:\n    bad-key: v\n", "bad-key"},
      {"mappings:\n- match: '(a'\n  match_type: regex\n  name: x\n", "invalid regex"},
      {"mappings:\n- match: a.b\n  name: x\n  action: explode\n", "explode"},
      {"mappings:\n- match: a.b\n  name: x\n  match_metric_type: set\n", "set"},
      {
        "mappings:\n- match: a.b\n  name: x\n  observer_type: histogram\n  summary_options:\n"
            + "    max_age: 1m\n",
        "summary options"
      },
      {"mappings:\n- match: a.b\n  name: x\n  ttl: soon\n", "soon"},
      {
        "mappings:\n- match: a.b\n  name: x\n  observer_type: histogram\n"
            + "  histogram_options:\n    buckets: [2, 1]\n",
        "ascending"
      },
      {"mappings:\n- match: a.b\n  name: x\n  scale: .nan\n", "finite"},
      {"mappings:\n- match: a.b\n  name: x\n  scale: lots\n", "lots"},
      {
        "mappings:\n- match: a.b\n  name: x\n  summary_options:\n    age_buckets: 100000\n",
        "age_buckets"
      },
      {"mappings: [", ""},
    };
    for (String[] b : bad) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> rules(b[0]), b[0]);
      assertTrue(e.getMessage().contains(b[1]), b[0] + " -> " + e.getMessage());
    }
  }

  @Test
  void shouldKeepTheRulesInForceWhenAReloadedFileDoesNotCheck() throws Exception {
    Path f = dir.resolve("mapping.yml");
    Files.writeString(f, "mappings:\n- match: a.*\n  name: first_${1}\n");
    MapperRef ref = MapperRef.load(f, 100);
    assertEquals("first_x", ref.get().map("a.x", MetricType.COUNTER).name());
    Files.writeString(f, "mappings:\n- match: a.*\n  name: second\n  bogus: 1\n");
    Mapper before = ref.get();
    String error = ref.reload();
    assertTrue(error != null && error.contains("bogus"), String.valueOf(error));
    assertSame(before, ref.get());
    assertEquals("first_y", ref.get().map("a.y", MetricType.COUNTER).name());
    assertEquals(1, ref.failedReloads());
    Files.delete(f);
    assertTrue(ref.reload() != null, "a missing file is an error too");
    assertSame(before, ref.get());
    Files.writeString(f, "mappings:\n- match: a.*\n  name: second_${1}\n");
    assertNull(ref.reload());
    assertEquals("second_x", ref.get().map("a.x", MetricType.COUNTER).name());
    assertEquals(1, ref.reloads());
    assertNull(ref.lastError());
    // a.x and a.y missed in the first mapper, a.x in the second: the counts outlive a reload
    ref.get().map("a.x", MetricType.COUNTER);
    assertArrayEquals(new long[] {1, 3}, ref.cacheLookups());
  }

  @Test
  void shouldBoundTheCacheAndGiveTheSameAnswersWhenItEvicts() {
    String yaml = "mappings:\n- match: a.*.c\n  name: abc_${1}\n";
    Mapper small = MappingFile.parse(yaml, 2);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 5; i++) {
        assertEquals("abc_" + i, small.map("a." + i + ".c", MetricType.GAUGE).name());
      }
    }
    assertEquals(15, small.cacheStats()[1], "five names through a cache of two: every one missed");
    small.map("a.4.c", MetricType.GAUGE);
    assertEquals(1, small.cacheStats()[0], "the last name is still cached");
  }

  /**
   * Random rule sets and names: the trie gives what a plain reading of the rules gives (the
   * first glob in file order whose parts all match, then the first regex that finds a match).
   */
  @Test
  void shouldAgreeWithAPlainReadingOfTheRulesOnRandomInput() {
    String[] words = {"a", "b", "c", "api", "web"};
    for (long seed = 1; seed <= 40; seed++) {
      Random rnd = new Random(seed);
      List<String> globs = new ArrayList<>();
      StringBuilder yaml = new StringBuilder("mappings:\n");
      int n = 1 + rnd.nextInt(12);
      for (int i = 0; i < n; i++) {
        int parts = 1 + rnd.nextInt(4);
        StringBuilder g = new StringBuilder();
        for (int p = 0; p < parts; p++) {
          g.append(p == 0 ? "" : ".")
              .append(rnd.nextInt(3) == 0 ? "*" : words[rnd.nextInt(words.length)]);
        }
        globs.add(g.toString());
        yaml.append("- match: \"").append(g).append("\"\n  name: r").append(i).append('\n');
      }
      yaml.append("- match: \"^(web|api)\\\\.\"\n  match_type: regex\n  name: rx\n");
      Mapper m = MappingFile.parse(yaml.toString(), 8);
      for (int k = 0; k < 200; k++) {
        int parts = 1 + rnd.nextInt(4);
        StringBuilder name = new StringBuilder();
        for (int p = 0; p < parts; p++) {
          name.append(p == 0 ? "" : ".").append(words[rnd.nextInt(words.length)]);
        }
        String expected = null;
        for (int i = 0; i < globs.size() && expected == null; i++) {
          if (globMatches(globs.get(i), name.toString())) {
            expected = "r" + i;
          }
        }
        if (expected == null && name.toString().matches("^(web|api)\\..*")) {
          expected = "rx";
        }
        Mapped got = m.map(name.toString(), MetricType.COUNTER);
        String why = "seed " + seed + ", rules " + globs + ", name " + name;
        if (expected == null) {
          assertFalse(got.matched(), why);
          assertEquals(Escape.metricName(name.toString()), got.name(), why);
        } else {
          assertEquals(expected, got.name(), why);
        }
      }
    }
  }

  private static boolean globMatches(String glob, String name) {
    String[] g = glob.split("\\.", -1);
    String[] n = name.split("\\.", -1);
    if (g.length != n.length) {
      return false;
    }
    for (int i = 0; i < g.length; i++) {
      if (!g[i].equals("*") && !g[i].equals(n[i])) {
        return false;
      }
    }
    return true;
  }

  /**
   * statsd_exporter's own example regex, four {@code (.*)} groups, against the longest name a
   * line may carry that almost matches: a backtracking engine takes minutes over it (the receive
   * loop stalled for every such line a local user sends); Go's engine, and udsink's, are linear.
   */
  @Test
  void shouldMatchRegexesInTimeLinearInTheName() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "(.*)\\\\.(.*)--(.*)\\\\.status\\\\.(.*)\\\\.count"
          match_type: regex
          name: "request_total"
          labels:
            code: "$4"
        """);
    assertTimeoutPreemptively(
        java.time.Duration.ofSeconds(20),
        () -> {
          for (int k = 0; k < 20; k++) {
            String hostile = "x".repeat(k) + ".x".repeat(2040) + "--y.status.";
            assertFalse(m.map(hostile, MetricType.COUNTER).matched());
          }
        });
    assertEquals(
        "200", m.map("web.proxy--http.status.200.count", MetricType.COUNTER).labels().get("code"));
  }

  @Test
  void shouldReadGoRegexSyntaxAsStatsdExporterDoes() {
    Mapper m =
        rules(
            """
        mappings:
        - match: "^(?P<svc>[a-z]+)\\\\.(?P<op>\\\\w+)\\\\.hits$"
          match_type: regex
          name: "${1}_hits_total"
          labels:
            op: "${op}"
            price: "$$1"
        """);
    Mapped r = m.map("cart.add_item.hits", MetricType.COUNTER);
    assertEquals("cart_hits_total", r.name());
    assertEquals(Map.of("op", "add_item", "price", "$1"), r.labels());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> rules("mappings:\n- match: \"(?<=a)b\"\n  match_type: regex\n  name: x\n"));
    assertTrue(e.getMessage().contains("invalid regex"), e.getMessage());
  }

  @Test
  void shouldNotLetAHostileNameOrRuleCostMoreThanItsOwnSeries() {
    Mapper m = rules("mappings:\n- match: \"*.*\"\n  name: \"${1}_${2}_${3}_${99}\"\n");
    assertEquals(
        "a_b__",
        m.map("a.b", MetricType.COUNTER).name(),
        "references to captures that do not exist expand to nothing");
    String huge = "x.".repeat(2000) + "y";
    Mapped h = m.map(huge, MetricType.COUNTER);
    assertNotEquals(null, h.name());
    assertFalse(h.matched());
  }

  @Test
  void shouldDropWhatWouldExpandBeyondTheLineLimit() {
    Mapper m =
        rules(
            "mappings:\n- match: \"svc.*\"\n  name: \"svc_total\"\n  labels:\n"
                + "    all: \""
                + "${1}".repeat(200)
                + "\"\n");
    assertFalse(m.map("svc.short", MetricType.COUNTER).drop(), "200 x 5 bytes fit");
    String capture = "x".repeat(100);
    assertTrue(
        m.map("svc." + capture, MetricType.COUNTER).drop(),
        "200 x 100 bytes would make a 20 KB label: dropped, not a series");
  }

  @Test
  void shouldRefuseARegexThatWouldCompileToMoreThanItsLimit() {
    assertTimeoutPreemptively(
        java.time.Duration.ofSeconds(10),
        () -> {
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      rules(
                          "mappings:\n- match: \"((((a{100}){100}){100}){100})\"\n  match_type: regex\n"
                              + "  name: \"x\"\n"));
          assertTrue(e.getMessage().contains("too large"), e.getMessage());
        });
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> rules("mappings:\n- match: \"a{1001}\"\n  match_type: regex\n  name: \"x\"\n"));
    assertTrue(e.getMessage().contains("above 1000"), e.getMessage());
    // statsd_exporter's own examples and ordinary rules stay well within it
    for (String ok :
        new String[] {
          "^(?P<job>\\w+)\\.(\\w+)\\.(\\w+)$",
          "^regsvc(\\d+)\\.(\\w+)\\.latency$",
          "[a-z]{1,64}\\.(x|y|z){3}",
          "((a{10}){10}){10}"
        }) {
      assertTrue(RegexSize.estimate(ok) < RegexSize.MAX, ok + ": " + RegexSize.estimate(ok));
    }
    assertTrue(RegexSize.estimate("((a{100}){100}){100}") > RegexSize.MAX);
  }
}
