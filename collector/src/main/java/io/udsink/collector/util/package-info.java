/** What every part uses: rate-limited logs, and fatal errors that stop udsink the normal way. */
package io.udsink.collector.util;
