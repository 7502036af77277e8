package io.udsink.collector.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The collector's layers, lowest first: a package may use the packages of lower layers, never
 * one of a higher layer or a sibling of its own layer, and no packages form a cycle. The data
 * path reads upwards: {@code transport → loop → parse → mapping → aggregate → export → runtime},
 * with the command line on top building it.
 */
class LayersTest {
  private static final String ROOT = "io.udsink.collector";

  /** Each layer's packages; packages of one layer do not use each other. */
  static final List<List<String>> LAYERS =
      List.of(
          List.of(ROOT, ROOT + ".util", ROOT + ".log"),
          List.of(ROOT + ".sys"),
          List.of(ROOT + ".transport", ROOT + ".origin"),
          List.of(ROOT + ".loop", ROOT + ".takeover"),
          List.of(ROOT + ".parse"),
          List.of(ROOT + ".mapping"),
          List.of(ROOT + ".aggregate"),
          List.of(ROOT + ".export"),
          List.of(ROOT + ".export.cumulative"),
          List.of(
              ROOT + ".export.jsonl", ROOT + ".export.prometheus", ROOT + ".export.remotewrite"),
          List.of(ROOT + ".runtime"),
          List.of(ROOT + ".cli"));

  private static JavaClasses main;

  @BeforeAll
  static void importClasses() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);
    assertTrue(main.size() > 100, "the collector's classes were found: " + main.size());
  }

  /** For every layer, no class of it uses a class of a higher layer or of a sibling package. */
  static List<ArchRule> rules(List<List<String>> layers) {
    List<ArchRule> rules = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      for (String pkg : layers.get(i)) {
        List<String> forbidden = new ArrayList<>();
        for (int j = i + 1; j < layers.size(); j++) {
          forbidden.addAll(layers.get(j));
        }
        for (String sibling : layers.get(i)) {
          if (!sibling.equals(pkg)) {
            forbidden.add(sibling);
          }
        }
        if (forbidden.isEmpty()) {
          continue;
        }
        rules.add(
            noClasses()
                .that()
                .resideInAPackage(pkg)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(forbidden.toArray(String[]::new))
                .because(pkg + " is below " + forbidden));
      }
    }
    return rules;
  }

  @Test
  void shouldKeepEveryPackageInItsLayer() {
    for (ArchRule r : rules(LAYERS)) {
      r.check(main);
    }
  }

  @Test
  void shouldKnowEveryPackage() {
    List<String> known = LAYERS.stream().flatMap(List::stream).toList();
    main.forEach(
        c ->
            assertFalse(
                !known.contains(c.getPackageName()),
                c.getName() + " is in a package no layer names: add it to LAYERS"));
  }

  @Test
  void shouldHaveNoCycles() {
    slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void shouldFailOnAnArrowThatRunsUpOrSideways() {
    JavaClasses withViolation =
        new ClassFileImporter()
            .importClasses(
                UpwardArrow.class,
                io.udsink.collector.runtime.Intake.class,
                io.udsink.collector.takeover.ControlServer.class);
    List<List<String>> below = List.of(List.of(ROOT + ".arch"), List.of(ROOT + ".runtime"));
    assertThrows(
        AssertionError.class,
        () -> rules(below).forEach(r -> r.check(withViolation)),
        "a package using a higher layer");
    List<List<String>> siblings = List.of(List.of(ROOT + ".arch", ROOT + ".takeover"));
    assertThrows(
        AssertionError.class,
        () -> rules(siblings).forEach(r -> r.check(withViolation)),
        "a package using a sibling");
    List<List<String>> above =
        List.of(List.of(ROOT + ".runtime", ROOT + ".takeover"), List.of(ROOT + ".arch"));
    rules(above).forEach(r -> r.check(withViolation)); // using lower layers is allowed
  }

  /** A class that uses the runtime and the takeover packages, to show the rules' failures. */
  static final class UpwardArrow {
    Object use() {
      return io.udsink.collector.runtime.Intake.sample(new byte[0], 0, 0)
          + io.udsink.collector.takeover.ControlServer.class.getName();
    }
  }
}
