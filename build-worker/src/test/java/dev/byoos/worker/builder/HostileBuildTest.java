package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.CustomizationLayersTest.Layers;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.sandbox.Sandbox;
import dev.byoos.worker.builder.sandbox.SandboxLimits;

/**
 * Builds whose scripts a hostile submitter wrote, each one a spec anyone may legally send. Each is
 * contained: the build fails with the code of the limit it broke, or succeeds with no effect
 * outside its tree; and the next build on the same builder succeeds.
 */
class HostileBuildTest {

    /**
     * Small limits, so that breaking them is quick; the busybox base (about 300 entries) is far below
     * each. Few enough files that creating them is far below the CPU limit too: here a file's creation
     * can cost 0.8 ms of system time when the cores are busy, and 6,000 of them once used up 3 s.
     */
    static final SandboxLimits LIMITS = new SandboxLimits(256L << 20, 64, Duration.ofSeconds(3), 64L << 20, 1L << 20,
            512L << 20, 1_000);
    /** Capabilities a script must not have: admin (mounts), modules, raw I/O, tracing, devices, network admin. */
    static final List<Integer> FORBIDDEN_CAPABILITIES = List.of(21, 16, 17, 19, 27, 12);

    @TempDir
    Path workDir;
    @TempDir
    Path bases;

    private final BuildLog log = new BuildLog();

    @BeforeEach
    void catalog() {
        TestBases.catalog(bases);
    }

    @Test
    void aScriptReachesNoNetworkNeitherTheWorkersLoopbackServicesNorTheInternet() throws IOException {
        // Stands in for what listens on the worker's loopback: object storage, Kafka, PostgreSQL, the registry.
        try (ServerSocket workerService = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            String script = "for target in '127.0.0.1 " + workerService.getLocalPort() + "' '1.1.1.1 80' '10.0.0.1 9092'; do\n"
                    + "  nc -w 2 $target </dev/null && echo \"REACHED $target\"\n"
                    + "done\n"
                    + "wget -T 2 -q -O - http://1.1.1.1/ && echo REACHED-PUBLIC\n"
                    + "echo tried-everything\n";

            build(script);

            workerService.setSoTimeout(500);
            assertThrows(SocketTimeoutException.class, workerService::accept, "the script connected to the worker's loopback");
            assertTrue(log.toString().contains("tried-everything"), log.toString());
            assertFalse(log.toString().contains("REACHED"), log.toString());
        }
        nextBuildSucceeds();
    }

    @Test
    void aScriptSeesNeitherTheWorkersEnvironmentNorItsProcesses() throws IOException {
        String script = "env > /etc/seen-env\n"
                + "tr '\\0' '\\n' < /proc/1/environ > /etc/seen-init-env\n"
                + "ls /proc | grep -c '^[0-9]' > /etc/seen-process-count\n";

        ImageInspector image = ImageInspector.open(build(script), workDir);

        Set<String> names = image.cat("/etc/seen-env").lines().map(line -> line.substring(0, line.indexOf('=')))
                .collect(java.util.stream.Collectors.toSet());
        assertEquals(Set.of("PATH", "HOME", "LC_ALL", "DEBIAN_FRONTEND", "SOURCE_DATE_EPOCH", "PWD", "SHLVL"), names,
                "only the sandbox's own environment: " + image.cat("/etc/seen-env"));
        // Process 1 is the sandbox's own init, not the worker's: it knows nothing but the launcher's path.
        assertTrue(image.cat("/etc/seen-init-env").lines().allMatch(line -> line.isEmpty() || line.startsWith("PATH=") || line.equals("PWD=/")),
                image.cat("/etc/seen-init-env"));
        assertTrue(Integer.parseInt(image.cat("/etc/seen-process-count").strip()) <= 4,
                "only the sandbox's processes: " + image.cat("/etc/seen-process-count"));
    }

    @Test
    void aScriptCannotWriteOutsideItsTreeMountLoadModulesOrMakeDevices() throws IOException {
        Path outside = workDir.getParent().resolve("escaped-" + UUID.randomUUID());
        String script = "echo x > /proc/1/root" + outside + " 2>/dev/null\n"
                + "cd / && cd ../../../../.. && echo x > ." + outside + " 2>/dev/null\n"
                + "mkdir -p /mnt\n"
                + "mount --bind / /mnt 2>/dev/null && echo MOUNTED-BIND\n"
                + "mount -t tmpfs none /mnt 2>/dev/null && echo MOUNTED-TMPFS\n"
                + "echo byoos-owned > /proc/sys/kernel/hostname 2>/dev/null && echo WROTE-SYSCTL\n"
                + "echo h > /proc/sysrq-trigger 2>/dev/null && echo WROTE-SYSRQ\n"
                + "mknod /dev/byoos-disk b 8 0 2>/dev/null && echo MADE-DEVICE\n"
                + "ls /sys 2>/dev/null | grep -q . && echo SAW-SYS\n"
                + "grep CapEff /proc/self/status | cut -f2 > /etc/capabilities\n"
                + "echo tried-everything\n";

        ImageInspector image = ImageInspector.open(build(script), workDir);

        assertFalse(Files.exists(outside), "a script wrote " + outside + " on the worker");
        assertTrue(log.toString().contains("tried-everything"), log.toString());
        for (String escape : List.of("MOUNTED", "WROTE-SYSCTL", "WROTE-SYSRQ", "MADE-DEVICE", "SAW-SYS")) {
            assertFalse(log.toString().contains(escape), escape + ": " + log);
        }
        BigInteger capabilities = new BigInteger(image.cat("/etc/capabilities").strip(), 16);
        for (int capability : FORBIDDEN_CAPABILITIES) {
            assertFalse(capabilities.testBit(capability), "capability " + capability + " in " + capabilities.toString(16));
        }
        nextBuildSucceeds();
    }

    @Test
    void nothingAScriptStartsOutlivesIt() {
        String marker = "6" + (10_000 + new java.util.Random().nextInt(50_000));
        build("sleep " + marker + " &\n(setsid sleep " + marker + " &)\nnohup sleep " + marker + " >/dev/null 2>&1 &\n"
                + "echo left-three-behind\n");

        assertTrue(log.toString().contains("left-three-behind"), log.toString());
        Processes.awaitNoneWith("sleep " + marker);
        nextBuildSucceeds();
    }

    @Test
    void aForkBombIsStoppedAtTheProcessLimit() {
        BuildException failure = failure("bomb() { bomb | bomb & }\nbomb\nsleep 30\n");

        assertEquals("PROCESS_LIMIT", failure.code(), failure.getMessage());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertTrue(failure.getMessage().contains("ran more than 64 processes at once"), failure.getMessage());
        nextBuildSucceeds();
    }

    @Test
    void aScriptAllocatingFourGibibytesIsStoppedAtTheMemoryLimit() {
        BuildException failure = failure("dd if=/dev/zero of=/dev/null bs=1G count=4\necho survived\n");

        // With a cgroup the kernel stops it at 256 MiB; without (a read-only cgroup filesystem) the
        // allocation itself fails at the per-process limit.
        assertTrue("MEMORY_LIMIT".equals(failure.code())
                || "SCRIPT_FAILED".equals(failure.code()) && failure.getMessage().contains("memory exhausted"),
                failure.code() + ": " + failure.getMessage());
        nextBuildSucceeds();
    }

    @Test
    void aScriptPrintingAGigabyteIsStoppedAndTheLogKeepsItsHeadAndTail() {
        BuildException failure = failure("echo first-line\nyes byoos-flood | head -c 1073741824\necho finished\n");

        assertEquals("OUTPUT_LIMIT", failure.code(), failure.getMessage());
        assertTrue(failure.getMessage().contains("printed more than 1 MiB"), failure.getMessage());
        String text = log.toString();
        assertTrue(text.contains("first-line"), "the head is kept");
        assertTrue(text.contains("bytes of output left out"), "and says what it left out");
        assertTrue(text.length() < 1 << 20, "the log stays bounded: " + text.length());
        nextBuildSucceeds();
    }

    @Test
    void aScriptBurningCpuIsStoppedAtItsCpuTime() {
        BuildException failure = failure("while :; do :; done\n");

        // With a cgroup the CPU time of all its processes counts; without, each process's (the kernel
        // kills it), long before the script's own timeout either way.
        assertEquals("CPU_LIMIT", failure.code(), failure.getMessage());
        nextBuildSucceeds();
    }

    @Test
    void aScriptFillingTheTreeFailsTheBuildWithTheTreeLimits() {
        BuildException tooLarge = failure("for i in 1 2 3 4 5 6 7 8 9 10; do truncate -s 60M /big$i; done\n");
        assertEquals("TREE_TOO_LARGE", tooLarge.code(), tooLarge.getMessage());

        BuildException tooMany = failure("i=0; while [ $i -lt 1200 ]; do : > /f$i; i=$((i+1)); done\n");
        assertEquals("TREE_TOO_MANY_FILES", tooMany.code(), tooMany.getMessage());

        BuildException fileTooLarge = failure("dd if=/dev/zero of=/big bs=1M count=100\n");
        assertEquals("FILE_TOO_LARGE", fileTooLarge.code(), fileTooLarge.getMessage());
        assertTrue(fileTooLarge.getMessage().contains("wrote a file larger than 64 MiB"), fileTooLarge.getMessage());
        nextBuildSucceeds();
    }

    private Builder.BuiltImage build(String script) {
        return builder().build(request(script), freshDir(), log,
                new BuildCancellation());
    }

    private BuildException failure(String script) {
        return assertThrows(BuildException.class, () -> build(script));
    }

    private void nextBuildSucceeds() {
        Builder.BuiltImage built = build("echo fine > /etc/hostile-ran\n");
        assertTrue(Files.isRegularFile(built.file()), "the next build on the same worker succeeds");
    }

    private Path freshDir() {
        try {
            return Files.createDirectories(workDir.resolve("build-" + UUID.randomUUID()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private NativeBuilder builder() {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)
                .withSandbox(new Sandbox(new Sandbox.Settings(LIMITS, Set.of()))));
    }

    private static BuildRequested request(String script) {
        return CustomizationLayersTest.request(TestBases.BUSYBOX, BuildRequested.STANDARD, Layers.none().scripts(
                new BuildRequested.Script("hostile", "pre", script, 120)));
    }
}
