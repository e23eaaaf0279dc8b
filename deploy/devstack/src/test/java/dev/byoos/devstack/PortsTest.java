package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortsTest {

    @TempDir
    Path dir;

    /**
     * A thousand picks among ≈ 12,000 ports would repeat one almost surely if each were picked
     * afresh. A repeated port given to two servers starting side by side failed a stack's start
     * (Kafka's controller and PostgreSQL on one port).
     */
    @Test
    void noPortIsGivenOutTwiceByOneProcess() throws IOException {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
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

    /**
     * Every bind-to-0 and every outgoing connection on the machine takes its port from the kernel's
     * ephemeral range; a stack's port picked there and bound 20 s later went to another stack's
     * service in a CI run.
     */
    @Test
    void portsComeFromOutsideTheKernelsEphemeralRange() throws IOException {
        Ports.Range ephemeral = Ports.Range.LINUX_DEFAULT_EPHEMERAL;
        Path proc = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.isReadable(proc)) {
            String[] bounds = Files.readAllLines(proc).get(0).trim().split("\\s+");
            ephemeral = new Ports.Range(Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1]));
        }
        for (int port : Ports.free(50)) {
            assertFalse(ephemeral.contains(port), port + " is in the ephemeral range " + ephemeral);
            assertTrue(Ports.DEFAULT_RANGE.contains(port), port + " outside " + Ports.DEFAULT_RANGE);
        }
    }

    @Test
    void theRangeIsBesideTheEphemeralOneOrEverywhereWhenNoSideIsWideEnough() throws IOException {
        assertEquals(new Ports.Range(20480, 32767), rangeBeside("32768\t60999\n"));
        assertEquals(new Ports.Range(1024, 9999), rangeBeside("10000 65535"));
        assertEquals(new Ports.Range(50001, 65535), rangeBeside("1024 50000"));
        assertEquals(new Ports.Range(1024, 65535), rangeBeside("2000 64000"));
        assertEquals(new Ports.Range(20480, 32767), Ports.Range.outsideEphemeral(dir.resolve("missing")));
        assertEquals(new Ports.Range(20480, 32767), rangeBeside("garbage"));
    }

    private Ports.Range rangeBeside(String ipLocalPortRange) throws IOException {
        return Ports.Range.outsideEphemeral(Files.writeString(dir.resolve("ip_local_port_range"), ipLocalPortRange));
    }

    /**
     * Two stacks starting side by side (CI's test JVMs, a system test class beside another) each
     * hand out ports their servers bind seconds later: what one process took, the other never gets
     * while the first lives, and gets once it has exited.
     */
    @Test
    void aPortAnotherLiveStackTookIsNotGivenOutUntilThatProcessExits() throws Exception {
        int first = Ports.DEFAULT_RANGE.first() + ThreadLocalRandom.current().nextInt(Ports.DEFAULT_RANGE.size() - 40);
        Ports.Range range = new Ports.Range(first, first + 39);
        Path locks = dir.resolve("locks");
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PortsHolder.class.getName(),
                Integer.toString(range.first()), Integer.toString(range.last()), locks.toString(), "20")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Set<Integer> theirs;
        try {
            String line = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertTrue(line != null && !line.isBlank(), "the other stack took no ports");
            theirs = Arrays.stream(line.split(",")).map(Integer::valueOf).collect(Collectors.toSet());
            assertEquals(20, theirs.size());

            // More than the range has left: none given, and none of those it locked on the way kept.
            IOException tooMany = assertThrows(IOException.class, () -> Ports.free(21, range, locks));
            assertTrue(tooMany.getMessage().startsWith("no 21 free loopback ports left"), tooMany.getMessage());
            for (int port = range.first(); port <= range.last(); port++) {
                if (!theirs.contains(port)) {
                    try (FileChannel lockFile = FileChannel.open(locks.resolve(Integer.toString(port)),
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                        assertTrue(lockFile.tryLock() != null, "port " + port + " still locked");
                    }
                }
            }

            Set<Integer> ours = new HashSet<>();
            IOException exhausted = assertThrows(IOException.class, () -> {
                while (true) {
                    ours.add(Ports.free(1, range, locks)[0]);
                }
            });
            assertTrue(exhausted.getMessage().contains(range.first() + "-" + range.last())
                    && exhausted.getMessage().contains(locks.toString()), exhausted.getMessage());
            assertFalse(ours.isEmpty(), "the other half of the range is ours");
            assertTrue(ours.stream().noneMatch(theirs::contains), "taken by both: " + ours.stream()
                    .filter(theirs::contains).toList());
        } finally {
            other.destroyForcibly();
            assertTrue(other.waitFor(30, TimeUnit.SECONDS));
        }

        // Its locks went with it, however it ended.
        List<Integer> again = Arrays.stream(Ports.free(1, range, locks)).boxed().toList();
        assertTrue(theirs.containsAll(again), again + " should be one of the exited stack's " + theirs);
    }

    @Test
    void aLockDirectoryOfAnotherUserOrALinkInItsPlaceIsRefusedNotShared() throws IOException {
        Path locks = Files.createDirectories(dir.resolve("locks"));
        // As seen by a process of another user (nobody): this user's directory is not its own.
        var nobody = locks.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        IOException foreign = assertThrows(IOException.class, () -> Ports.prepare(locks, nobody));
        assertTrue(foreign.getMessage().contains("not to nobody"), foreign.getMessage());
        Ports.prepare(locks, Files.getOwner(locks));

        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), elsewhere);
        IOException linked = assertThrows(IOException.class,
                () -> Ports.free(1, Ports.DEFAULT_RANGE, link));
        assertTrue(linked.getMessage().contains("is not a directory"), linked.getMessage());
        try (var created = Files.list(elsewhere)) {
            assertEquals(0, created.count(), "nothing was made where the link points");
        }
    }
}
