package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.SocketException;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.ConnectionRefusedSocketException;

class UnavailableTest {
  @Test
  void shouldNameEachConditionByItsErrno() {
    assertEquals(
        CollectorUnavailableException.Reason.PERMISSION_DENIED,
        CollectorUnavailableException.classify(
                "/s", new ConnectionRefusedSocketException("Permission denied"))
            .reason(),
        "junixsocket reports EACCES as a refused connection");
    assertEquals(
        CollectorUnavailableException.Reason.REFUSED,
        CollectorUnavailableException.classify(
                "/s", new ConnectionRefusedSocketException("Connection refused"))
            .reason());
    assertEquals(
        CollectorUnavailableException.Reason.NO_SOCKET_FILE,
        CollectorUnavailableException.classify(
                "/s", new SocketException("No such file or directory"))
            .reason());
    assertEquals("EACCES", CollectorUnavailableException.Reason.PERMISSION_DENIED.errno());
  }
}
