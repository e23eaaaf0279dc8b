package dev.byoos.worker.builder.disk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * A base's kernel, initrd and UEFI boot loader (systemd-boot), and how they make the disk
 * bootable without mounting it: mtools copies them onto the EFI System Partition, with a loader
 * entry that finds the root partition by its GPT PARTUUID.
 */
public final class KernelBoot {

    /** systemd-boot's EFI binary, from Debian's systemd-boot-efi package. */
    static final String SYSTEMD_BOOT = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
    /** Printed on the first serial port once multi-user.target is reached; the boot smoke test waits for it. */
    static final String BOOT_MARKER = "BYOOS-BOOT-OK";
    static final String MARKER_UNIT = "/etc/systemd/system/byoos-boot-marker.service";
    static final String FSTAB = "/etc/fstab";
    static final String ESP_MOUNT_POINT = "/boot/efi";
    private static final Pattern KERNEL = Pattern.compile("vmlinuz-(.+)");
    private static final Pattern CHUNK = Pattern.compile("\\d+|\\D+");
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);

    /**
     * Written into every image with a kernel. On a host without a first serial port the condition
     * skips it; a failing write is ignored, so it can never degrade the system state.
     */
    static final String MARKER_UNIT_CONTENT = """
            # Written by BYOOS Factory: tells the build's boot smoke test that this image reached
            # multi-user.target. One line on the first serial port, harmless elsewhere.
            [Unit]
            Description=BYOOS Factory boot marker on the serial console
            After=multi-user.target
            ConditionPathExists=/dev/ttyS0

            [Service]
            Type=oneshot
            ExecStart=-/bin/sh -c 'echo %s > /dev/ttyS0'

            [Install]
            WantedBy=multi-user.target
            """.formatted(BOOT_MARKER);

    private final String version;
    private final Path kernel;
    private final Path initrd;
    private final Path loader;

    private KernelBoot(String version, Path kernel, Path initrd, Path loader) {
        this.version = version;
        this.kernel = kernel;
        this.initrd = initrd;
        this.loader = loader;
    }

    /**
     * @return the newest kernel in /boot with its initrd and the boot loader, or empty when the
     *         base has no kernel (a container-style tree: the disk is built, just not bootable)
     * @throws BuildException BAD_INPUT NO_INITRD or NO_BOOT_LOADER for a kernel that cannot boot
     */
    public static Optional<KernelBoot> find(RootFilesystem rootfs) {
        if (!rootfs.has("/boot") || !Files.isDirectory(rootfs.resolve("/boot"), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Optional<String> newest;
        try (Stream<Path> files = Files.list(rootfs.resolve("/boot"))) {
            newest = files.filter(file -> Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
                    .map(file -> KERNEL.matcher(file.getFileName().toString()))
                    .filter(Matcher::matches)
                    .map(kernel -> kernel.group(1))
                    .max(KernelBoot::compareVersions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        String version = newest.get();
        String initrd = "/boot/initrd.img-" + version;
        if (!rootfs.hasRegularFile(initrd)) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "NO_INITRD",
                    "base " + rootfs.baseName() + " has kernel " + version + " but no " + initrd, null);
        }
        if (!rootfs.hasRegularFile(SYSTEMD_BOOT)) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "NO_BOOT_LOADER", "base " + rootfs.baseName()
                    + " has a kernel but no " + SYSTEMD_BOOT + " (Debian package systemd-boot-efi)", null);
        }
        return Optional.of(new KernelBoot(version, rootfs.resolve("/boot/vmlinuz-" + version), rootfs.resolve(initrd),
                rootfs.resolve(SYSTEMD_BOOT)));
    }

    /**
     * Readies the tree for the disk it goes on: an fstab naming the disk's partitions, and the boot
     * marker unit, enabled. Done before the spec's layers, so a spec's own fstab wins.
     */
    public static void prepareRoot(RootFilesystem rootfs, DiskImageAssembler.DiskIds disk) {
        rootfs.write(FSTAB, """
                # Written by BYOOS Factory for this disk: partitions by GPT PARTUUID.
                PARTUUID=%s / ext4 errors=remount-ro 0 1
                PARTUUID=%s %s vfat umask=0077,nofail 0 2
                """.formatted(disk.root(), disk.esp(), ESP_MOUNT_POINT), "0644", 0, 0);
        rootfs.createDirectory(ESP_MOUNT_POINT, "0755", 0, 0);
        rootfs.write(MARKER_UNIT, MARKER_UNIT_CONTENT, "0644", 0, 0);
        rootfs.symlink("/etc/systemd/system/multi-user.target.wants/byoos-boot-marker.service", MARKER_UNIT);
    }

    /** Bytes the ESP must hold for this kernel. */
    long size() {
        try {
            return Files.size(kernel) + Files.size(initrd) + Files.size(loader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kernel command line: root by PARTUUID (no initrd guessing), console on the first serial port. */
    public static String commandLine(DiskImageAssembler.DiskIds disk) {
        return "root=PARTUUID=" + disk.root() + " console=tty0 console=ttyS0,115200 rw";
    }

    /**
     * Copies loader, kernel and initrd onto the (not yet placed) ESP image, with a loader entry; every
     * entry dated with the source date.
     */
    void installOnto(Path esp, DiskImageAssembler.DiskIds disk, Reproducibility fixed, Path workDir,
            CommandRunner commands) {
        Path loaderConf = workDir.resolve("loader.conf");
        Path entry = workDir.resolve("byoos.conf");
        try {
            // No menu: the one entry boots at once.
            Files.writeString(loaderConf, "default byoos.conf\ntimeout 0\n");
            Files.writeString(entry, "title BYOOS node image\nversion " + version + "\nlinux /vmlinuz-" + version
                    + "\ninitrd /initrd.img-" + version + "\noptions " + commandLine(disk) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String image = esp.toString();
        commands.run(TOOL_TIMEOUT, workDir, null, fixed.atSourceDate("mmd", "-i", image, "::/loader",
                "::/loader/entries"));
        for (List<String> copy : List.of(
                List.of(loader.toString(), "::/EFI/BOOT/BOOTX64.EFI"),
                List.of(kernel.toString(), "::/vmlinuz-" + version),
                List.of(initrd.toString(), "::/initrd.img-" + version),
                List.of(loaderConf.toString(), "::/loader/loader.conf"),
                List.of(entry.toString(), "::/loader/entries/byoos.conf"))) {
            commands.run(TOOL_TIMEOUT, workDir, null,
                    fixed.atSourceDate("mcopy", "-i", image, copy.get(0), copy.get(1)));
        }
    }

    /** Orders 6.1.0-9-amd64 before 6.1.0-10-amd64: number runs compare as numbers. */
    static int compareVersions(String left, String right) {
        Matcher a = CHUNK.matcher(left);
        Matcher b = CHUNK.matcher(right);
        while (a.find() && b.find()) {
            String x = a.group();
            String y = b.group();
            int order = Character.isDigit(x.charAt(0)) && Character.isDigit(y.charAt(0))
                    ? Comparator.<String>comparingInt(String::length).thenComparing(Comparator.naturalOrder()).compare(
                            x.replaceFirst("^0+(?=.)", ""), y.replaceFirst("^0+(?=.)", ""))
                    : x.compareTo(y);
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(left.length(), right.length());
    }
}
