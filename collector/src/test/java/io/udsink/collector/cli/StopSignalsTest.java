package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A SIGHUP that arrives while udsink starts is acted on once, when the action exists. */
class StopSignalsTest {
  @Test
  void shouldRunAHangupThatCameBeforeTheActionOnceItIsNamed() {
    StopSignals s = new StopSignals();
    AtomicInteger runs = new AtomicInteger();
    s.hangup();
    s.hangup(); // two early signals ask for one reload, as they would have later
    assertEquals(0, runs.get());
    s.onHangup(runs::incrementAndGet);
    assertEquals(1, runs.get(), "the early SIGHUP is acted on when the action is named");
    s.hangup();
    assertEquals(2, runs.get(), "later ones at once");
  }

  @Test
  void shouldNotRunTheActionWhenNoSignalCameFirst() {
    StopSignals s = new StopSignals();
    AtomicInteger runs = new AtomicInteger();
    s.onHangup(runs::incrementAndGet);
    assertEquals(0, runs.get());
  }

  @Test
  void shouldRunAStopThatCameFirstAndTheForceOnASecondSignal() {
    StopSignals s = new StopSignals();
    AtomicInteger stops = new AtomicInteger();
    AtomicInteger forces = new AtomicInteger();
    s.signal();
    assertEquals(true, s.stopRequested());
    s.onStop(stops::incrementAndGet);
    assertEquals(1, stops.get());
    s.onForce(forces::incrementAndGet);
    assertEquals(0, forces.get());
    s.signal();
    assertEquals(1, forces.get());
    assertEquals(1, stops.get());
  }
}
