package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.worker.builder.core.BuildException;

/**
 * A vSphere OVA: an OVF descriptor, its SHA256 manifest and a streamOptimized VMDK, in a ustar
 * archive with the descriptor first (vSphere reads the archive as a stream and needs the descriptor
 * before the disk). Everything is named after the template Palette looks for:
 * {@code r_u-<os>-<os version>-k-<kubernetes version>}, dots removed.
 */
final class OvaFormat implements ImageFormat {

    /** What spec-service accepts as a vSphere template name; it also keeps the name XML- and path-safe. */
    static final Pattern TEMPLATE_NAME = Pattern.compile("r_u-[A-Za-z0-9._-]{1,76}");
    static final String VMDK_SUBFORMAT = "streamOptimized";

    @Override
    public String name() {
        return "ova";
    }

    /** The default template name spec-service documents for vSphere targets. */
    static String templateName(BuildCoordinates build) {
        String name = "r_u-" + build.os().name() + "-" + build.os().version().replace(".", "") + "-k-"
                + build.kubernetesVersion().replace(".", "");
        if (!TEMPLATE_NAME.matcher(name).matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_TEMPLATE_NAME",
                    "'" + name + "' is not a vSphere template name Palette accepts (" + TEMPLATE_NAME + ")", null);
        }
        return name;
    }

    /** The members in archive order: descriptor, manifest, disk. */
    record Members(String ovf, String manifest, String vmdk) {
        static Members of(String templateName) {
            return new Members(templateName + ".ovf", templateName + ".mf", templateName + "-disk-0.vmdk");
        }

        List<String> inOrder() {
            return List.of(ovf, manifest, vmdk);
        }
    }

    @Override
    public Path write(FormatContext context) {
        String templateName = templateName(context.build());
        Members members = Members.of(templateName);
        Path staging = createDirectory(context.workDir().resolve("ova"));
        Path disk = context.disk();
        Path vmdk = staging.resolve(members.vmdk());
        context.run(FormatContext.WRITE_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "vmdk",
                "-o", "subformat=" + VMDK_SUBFORMAT, disk.toString(), vmdk.toString());
        Path ovf = staging.resolve(members.ovf());
        String manifest;
        try {
            Files.writeString(ovf, OvfDescriptor.render(templateName, members.vmdk(), Files.size(vmdk),
                    Files.size(disk)));
            manifest = manifestLine(members.ovf(), sha256(ovf)) + manifestLine(members.vmdk(), sha256(vmdk));
            Files.writeString(staging.resolve(members.manifest()), manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path output = context.workDir().resolve(templateName + ".ova");
        List<String> tar = new ArrayList<>(List.of("tar", "--format=ustar", "--numeric-owner",
                "--owner=0", "--group=0", "-cf", output.toString(), "-C", staging.toString()));
        tar.addAll(members.inOrder());
        context.run(FormatContext.WRITE_TIMEOUT, tar.toArray(String[]::new));
        return output;
    }

    /**
     * Unpacks the OVA into a directory of its own and checks it the way vSphere would read it:
     * member order, manifest hashes, the descriptor's disk reference and the disk's format.
     */
    @Override
    public void verify(Path output, FormatContext context) {
        Members members = Members.of(templateName(context.build()));
        List<String> listed = context.run(FormatContext.CHECK_TIMEOUT, "tar", "-tf", output.toString())
                .lines().toList();
        if (!listed.equals(members.inOrder())) {
            throw FormatContext.checkFailed(name(), "members must be " + members.inOrder() + ", the archive has "
                    + listed);
        }
        Path unpacked = createDirectory(context.workDir().resolve("ova-check"));
        context.run(FormatContext.CHECK_TIMEOUT, "tar", "-xf", output.toString(), "-C", unpacked.toString());
        Path vmdk = unpacked.resolve(members.vmdk());
        try {
            String expected = manifestLine(members.ovf(), sha256(unpacked.resolve(members.ovf())))
                    + manifestLine(members.vmdk(), sha256(vmdk));
            String manifest = Files.readString(unpacked.resolve(members.manifest()));
            if (!manifest.equals(expected)) {
                throw FormatContext.checkFailed(name(), "the manifest does not match the members: " + manifest);
            }
            OvfDescriptor.DiskFile diskFile = OvfDescriptor.diskFile(unpacked.resolve(members.ovf()));
            if (!diskFile.equals(new OvfDescriptor.DiskFile(members.vmdk(), Files.size(vmdk)))) {
                throw FormatContext.checkFailed(name(), "the descriptor references " + diskFile + ", the archive holds "
                        + members.vmdk() + " of " + Files.size(vmdk) + " bytes");
            }
        } catch (IOException | NumberFormatException e) {
            throw FormatContext.checkFailed(name(), e.getMessage());
        }
        JsonNode info = context.qemuInfo(vmdk, "vmdk");
        String createType = info.path("format-specific").path("data").path("create-type").asText();
        if (!VMDK_SUBFORMAT.equals(createType)) {
            throw FormatContext.checkFailed(name(), "the disk is a '" + createType + "' VMDK, not " + VMDK_SUBFORMAT);
        }
    }

    /** The line format ovftool and vSphere read: {@code SHA256(file)= hex}. */
    static String manifestLine(String file, String sha256) {
        return "SHA256(" + file + ")= " + sha256 + "\n";
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path createDirectory(Path directory) {
        try {
            return Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
