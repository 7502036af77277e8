package io.udsink.collector.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.udsink.client.CollectorUnavailableException;
import io.udsink.collector.TestSupport;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/** The route to shutdown(SHUT_RD): if a junixsocket upgrade breaks it, this fails. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SocketShutdownTest {
  @TempDir Path dir;

  @Test
  void shouldMakeSendersFailWithEpipeWhileQueuedDatagramsStayReadable() throws Exception {
    Path path = dir.resolve("s");
    try (BoundSocket socket = BoundSocket.bind(SocketSpec.parse(path.toString()), 0600, false);
        AFUNIXDatagramChannel tx = TestSupport.connect(path)) {
      TestSupport.send(tx, "before-1");
      TestSupport.send(tx, "before-2");

      socket.shutdownInput();

      Exception e = assertThrows(Exception.class, () -> TestSupport.send(tx, "after"));
      CollectorUnavailableException typed = CollectorUnavailableException.classify("p", e);
      assertNotNull(typed, "not recognised as unavailable: " + e);
      assertEquals(CollectorUnavailableException.Reason.SHUT_DOWN, typed.reason());

      try (AFUNIXDatagramChannel other = TestSupport.connect(path)) {
        Exception e2 = assertThrows(Exception.class, () -> TestSupport.send(other, "x"));
        assertEquals(
            CollectorUnavailableException.Reason.SHUT_DOWN,
            CollectorUnavailableException.classify("p", e2).reason());
      } catch (Exception connectFailed) {
        // connect itself may be refused after the shutdown; either way nothing was queued
        assertNotNull(CollectorUnavailableException.classify("p", connectFailed));
      }
      assertEquals(8, TestSupport.receiveOne(socket));
      assertEquals(8, TestSupport.receiveOne(socket));
      assertEquals(
          -1, TestSupport.receiveOne(socket), "queue should be empty after the two datagrams");
    }
  }
}
