package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortsTest {

    @TempDir
    Path dir;

    /**
     * The kernel picks a bind-to-0 port at random among ≈ 28,000: a few thousand picks repeat one
     * almost surely. A repeated port given to two servers starting side by side failed a stack's
     * start (Kafka's controller and PostgreSQL on one port).
     */
    @Test
    void noPortIsGivenOutTwiceByOneProcess() throws IOException {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            int port = Ports.free(1)[0];
            assertTrue(seen.add(port), "port " + port + " given out twice, at pick " + (i + 1));
        }
    }

    @Test
    void aServerGetsItsOwnPortsBackButNeverAnotherServersRememberedOnes() throws IOException {
        Path kafka = dir.resolve("kafka");
        Path postgres = dir.resolve("postgres");
        int[] kafkaPorts = Ports.stable(kafka, 2);
        // A data directory copied from elsewhere remembers the same ports for another server.
        Files.createDirectories(postgres);
        Files.copy(kafka.resolve("ports.properties"), postgres.resolve("ports.properties"));

        int[] postgresPorts = Ports.stable(postgres, 2);

        assertTrue(Arrays.stream(postgresPorts).noneMatch(port -> Arrays.stream(kafkaPorts).anyMatch(k -> k == port)),
                Arrays.toString(kafkaPorts) + " and " + Arrays.toString(postgresPorts));
        assertArrayEquals(kafkaPorts, Ports.stable(kafka, 2), "a restart in the same process keeps its ports");
        assertEquals(2, postgresPorts.length);
    }
}
