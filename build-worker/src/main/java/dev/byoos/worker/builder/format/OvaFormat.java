package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;

/**
 * A vSphere OVA: an OVF descriptor, its SHA256 manifest and a streamOptimized VMDK, in a ustar
 * archive with the descriptor first (vSphere reads the archive as a stream and needs the descriptor
 * before the disk), then the manifest, then the disk: the order VMware's tools write. Everything is
 * named after the spec's vSphere template name, by default the one Palette's own OVA import uses:
 * {@code r_u-<os>-<os version>-k-<kubernetes version>}, dots removed.
 *
 * <p>qemu-img gives the VMDK a random content id ({@code CID}, in its descriptor); it is replaced by
 * one derived from the tree, and the archive's members are dated with the source date, so the same
 * disk makes the same OVA.
 */
final class OvaFormat implements ImageFormat {

    /**
     * What spec-service accepts as a vSphere template name (any vCenter name of these characters;
     * r_u- is only the default); it also keeps the name XML- and path-safe.
     */
    static final Pattern TEMPLATE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,79}");
    static final String VMDK_SUBFORMAT = "streamOptimized";
    /** A sparse VMDK's header: its magic, and where its embedded descriptor is (little-endian sector numbers). */
    private static final int VMDK_MAGIC = 0x564d444b;
    private static final int DESCRIPTOR_OFFSET = 28;
    private static final int DESCRIPTOR_SIZE = 36;
    private static final int SECTOR = 512;
    private static final Pattern CONTENT_ID = Pattern.compile("(?m)^CID=[0-9a-fA-F]{1,8}$");

    @Override
    public boolean writtenFromTheDiskAlone() {
        return true;
    }

    @Override
    public String name() {
        return "ova";
    }

    /**
     * The spec's template name, or the default spec-service documents for vSphere targets when the
     * request names none (requests from before it was sent).
     *
     * @throws BuildException BAD_INPUT INVALID_TEMPLATE_NAME for a name vCenter would not take or that
     *                        is not safe as a file name and in XML
     */
    static String templateName(BuildCoordinates build, BuildRequested.CloudParameters cloud) {
        String requested = cloud.vsphereTemplateName();
        String name = requested != null ? requested : "r_u-" + build.os().name() + "-"
                + build.os().version().replace(".", "") + "-k-" + build.kubernetesVersion().replace(".", "");
        if (!TEMPLATE_NAME.matcher(name).matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_TEMPLATE_NAME",
                    "'" + name + "' is not a vSphere template name spec-service accepts (" + TEMPLATE_NAME + ")", null);
        }
        return name;
    }

    /** The template the OVA becomes once imported into the spec's folder, named before any work. */
    @Override
    public List<BuildCompleted.CloudImage> cloudImages(BuildRequested request) {
        return List.of(VsphereTemplatePath.of(request.cloud().vsphereFolder(),
                templateName(request.build(), request.cloud())));
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
        String templateName = templateName(context.build(), context.cloud());
        Members members = Members.of(templateName);
        Path staging = createDirectory(context.workDir().resolve("ova"));
        Path disk = context.disk();
        Path vmdk = staging.resolve(members.vmdk());
        context.run(FormatContext.WRITE_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "vmdk",
                "-o", "subformat=" + VMDK_SUBFORMAT, disk.toString(), vmdk.toString());
        replaceContentId(vmdk, (int) (context.reproducibility().uuid("vmdk").getMostSignificantBits() >>> 32));
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
        List<String> tar = new ArrayList<>(List.of("tar", "--format=ustar", "-cf", output.toString()));
        tar.addAll(context.tarOfOwnFiles());
        tar.add("-C");
        tar.add(staging.toString());
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
        Members members = Members.of(templateName(context.build(), context.cloud()));
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

    /**
     * Rewrites the {@code CID=} line of a sparse VMDK's embedded descriptor, in place: the rest of the
     * descriptor moves up or down by the difference in length (qemu-img writes the id without leading
     * zeros), and the descriptor's sectors are filled with zeros after it as before.
     */
    private static void replaceContentId(Path vmdk, int contentId) {
        try (FileChannel file = FileChannel.open(vmdk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(DESCRIPTOR_SIZE + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            file.read(header, 0);
            long offset = header.getLong(DESCRIPTOR_OFFSET) * SECTOR;
            long size = header.getLong(DESCRIPTOR_SIZE) * SECTOR;
            if (header.getInt(0) != VMDK_MAGIC || offset <= 0 || size <= 0 || size > 1 << 20) {
                throw FormatContext.checkFailed("ova", "qemu-img wrote a VMDK without an embedded descriptor");
            }
            ByteBuffer region = ByteBuffer.allocate((int) size);
            file.read(region, offset);
            String descriptor = new String(region.array(), StandardCharsets.US_ASCII).split("\0", 2)[0];
            Matcher line = CONTENT_ID.matcher(descriptor);
            if (!line.find()) {
                throw FormatContext.checkFailed("ova", "the VMDK descriptor has no content id: " + descriptor);
            }
            byte[] replaced = line.replaceFirst("CID=" + String.format("%08x", contentId))
                    .getBytes(StandardCharsets.US_ASCII);
            if (replaced.length > size) {
                throw FormatContext.checkFailed("ova", "the VMDK descriptor has no room for its content id");
            }
            file.write(ByteBuffer.wrap(Arrays.copyOf(replaced, (int) size)), offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
