package dev.byoos.worker.builder.disk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Boots a built disk under QEMU with UEFI firmware (OVMF) and waits for {@link KernelBoot#BOOT_MARKER}
 * on the serial console: proof that firmware, loader, kernel, initrd, root filesystem and systemd
 * work together. The disk itself is never written: QEMU runs on a throwaway qcow2 overlay.
 *
 * <p>KVM is tried first when /dev/kvm is usable, but it is an optimisation: some hosts expose
 * /dev/kvm yet fail OVMF at once ("KVM internal error"), and then the boot is repeated under
 * software emulation (TCG) within the same time budget.
 */
public final class BootSmokeTest {

    public static final String PASSED = "passed";
    public static final String SKIPPED = "skipped";
    static final String KVM = "kvm";
    static final String TCG = "tcg";
    private static final String KVM_FAILURE = "KVM internal error";
    private static final String KERNEL_PANIC = "Kernel panic";
    private static final Path KVM_DEVICE = Path.of("/dev/kvm");
    /** Debian's ovmf package: the 4M pair first (what bookworm and later ship), then the old 2M pair. */
    private static final List<Firmware> FIRMWARE = List.of(
            new Firmware(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd"), Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd")),
            new Firmware(Path.of("/usr/share/OVMF/OVMF_CODE.fd"), Path.of("/usr/share/OVMF/OVMF_VARS.fd")));
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);
    private static final int SERIAL_LINES_REPORTED = 15;

    /** @param timeout from power-on to the marker, for all attempts together */
    public record Settings(boolean enabled, Duration timeout) {

        public static Settings defaults() {
            return new Settings(true, Duration.ofSeconds(120));
        }
    }

    private record Firmware(Path code, Path variables) {
    }

    private final Settings settings;

    public BootSmokeTest(Settings settings) {
        this.settings = settings;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    public static BuildCompleted.BootTest skipped(String reason) {
        return new BuildCompleted.BootTest(SKIPPED, reason, 0);
    }

    /**
     * @return the passed test, with the accelerator used and the time to the marker
     * @throws BuildException BUILDER BOOT_TEST_FAILED with the last serial lines when the marker
     *                        does not appear in time; INFRASTRUCTURE OVMF_MISSING without firmware
     */
    public BuildCompleted.BootTest boot(Path rawDisk, Path workDir, CommandRunner commands, BuildLog log) {
        Firmware firmware = FIRMWARE.stream()
                .filter(pair -> Files.isReadable(pair.code()) && Files.isReadable(pair.variables()))
                .findFirst()
                .orElseThrow(() -> new BuildException(BuildException.Kind.INFRASTRUCTURE, "OVMF_MISSING",
                        "no UEFI firmware for the boot test (Debian package ovmf)", null));
        Path dir = workDir.resolve("boot-test");
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        List<String> accelerators = kvmUsable() ? List.of(KVM, TCG) : List.of(TCG);
        String note = "";
        for (String accelerator : accelerators) {
            Path overlay = freshMachine(dir, rawDisk, firmware, commands);
            long started = System.nanoTime();
            Duration left = Duration.ofNanos(Math.max(0, deadline - started));
            CommandRunner.Watched console = commands.watch(left, dir,
                    line -> line.contains(KernelBoot.BOOT_MARKER) || line.contains(KVM_FAILURE)
                            || line.contains(KERNEL_PANIC),
                    qemu(accelerator, firmware, dir, overlay));
            long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
            Optional<String> stop = Optional.ofNullable(console.stopLine());
            if (stop.filter(line -> line.contains(KernelBoot.BOOT_MARKER)).isPresent()) {
                log.line("boot test passed: marker after " + millis + " ms under " + accelerator + note);
                return new BuildCompleted.BootTest(PASSED, "accelerator=" + accelerator + note, millis);
            }
            if (accelerator.equals(KVM) && stop.filter(line -> line.contains(KVM_FAILURE)).isPresent()) {
                log.line("boot test: KVM cannot run the firmware on this host; booting again under TCG");
                note = " (kvm failed on this host)";
                continue;
            }
            throw failure(console, accelerator, millis);
        }
        throw new IllegalStateException("the last accelerator always returns or throws");
    }

    private BuildException failure(CommandRunner.Watched console, String accelerator, long millis) {
        String why = console.timedOut()
                ? "the marker did not appear within " + settings.timeout().toSeconds() + " s"
                : console.stopLine() != null ? "the kernel panicked after " + millis + " ms"
                        : "QEMU stopped after " + millis + " ms";
        List<String> lines = console.lastLines();
        List<String> last = lines.subList(Math.max(0, lines.size() - SERIAL_LINES_REPORTED), lines.size());
        return new BuildException(BuildException.Kind.BUILDER, "BOOT_TEST_FAILED",
                "the image did not boot to multi-user.target under " + accelerator + ": " + why
                        + "; last serial console lines: " + String.join(" | ", last),
                null);
    }

    /** A new overlay and a new copy of the firmware variables: each attempt starts from power-on. */
    private static Path freshMachine(Path dir, Path rawDisk, Firmware firmware, CommandRunner commands) {
        Path overlay = dir.resolve("overlay.qcow2");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(overlay);
            Files.copy(firmware.variables(), dir.resolve("OVMF_VARS.fd"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commands.run(TOOL_TIMEOUT, dir, null, "qemu-img", "create", "-q", "-f", "qcow2",
                "-b", rawDisk.toAbsolutePath().toString(), "-F", "raw", overlay.toString());
        return overlay;
    }

    private static String[] qemu(String accelerator, Firmware firmware, Path dir, Path overlay) {
        List<String> command = new ArrayList<>(List.of("qemu-system-x86_64",
                "-machine", "q35", "-accel", accelerator, "-m", "1024", "-smp", "2",
                // Nothing but what the test needs: no network, no display, the serial port on stdout.
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
                // A guest that reboots (e.g. panic=N) ends the run instead of looping.
                "-no-reboot",
                "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + firmware.code(),
                "-drive", "if=pflash,format=raw,unit=1,file=" + dir.resolve("OVMF_VARS.fd"),
                "-drive", "if=virtio,format=qcow2,file=" + overlay));
        return command.toArray(String[]::new);
    }

    private static boolean kvmUsable() {
        return Files.isReadable(KVM_DEVICE) && Files.isWritable(KVM_DEVICE);
    }
}
