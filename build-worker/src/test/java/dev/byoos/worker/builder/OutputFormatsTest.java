package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Each output format built from a real base with a customized file, then read with tools the
 * format's writer does not use for its own check where there are any: qemu-img probing, GNU tar,
 * sha256sum, a DOM parse of the OVF, the raw bytes of VHD footers and tar headers, and debugfs on
 * the ext4 root inside the disk.
 */
class OutputFormatsTest {

    static final long MIB = 1024 * 1024;
    static final long GIB = 1024 * MIB;
    static final String BASE = "debian-12-skeleton";
    /** Palette's vSphere template name for debian 12 with Kubernetes 1.30.4 (see NativeBuilderTest.request). */
    static final String TEMPLATE = "r_u-debian-12-k-1304";
    static final BuildRequested.FileCustomization NODE_CONF =
            new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0640", "4242:4343");

    @TempDir
    Path workDir;
    @TempDir
    Path readBack;

    private final BuildLog log = new BuildLog();
    private final ObjectMapper json = new ObjectMapper();

    private Builder.BuiltImage build(String format) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(TestBases.EXAMPLE_BASES)).build(NativeBuilderTest.request(format, BASE,
                List.of(NODE_CONF)), workDir, log, new BuildCancellation());
    }

    @Test
    void qcow2IsCompressedAndChecksClean() throws IOException {
        Builder.BuiltImage image = build("qcow2");

        assertEquals("qcow2", image.format());
        assertEquals("disk.qcow2", image.file().getFileName().toString());
        JsonNode check = json.readTree(
                run("qemu-img", "check", "--output=json", "-f", "qcow2", image.file().toString()));
        assertEquals(0, check.path("corruptions").asInt() + check.path("leaks").asInt(), check.toString());
        assertTrue(check.path("compressed-clusters").asLong() > 0, "written with compressed clusters: " + check);
        JsonNode info = json.readTree(run("qemu-img", "info", "--output=json", "-f", "qcow2", image.file().toString()));
        assertEquals("zstd", info.at("/format-specific/data/compression-type").asText(), info.toString());
        // The worker writes the qcow2 itself: QEMU must read back the raw disk it was written from.
        assertTrue(run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", workDir.resolve("disk.raw").toString(),
                image.file().toString()).contains("Images are identical"),
                "the qcow2 holds the raw disk, sector for sector");
        assertEquals("4242:4343", ImageInspector.open(image, readBack).owner(NODE_CONF.path()));
    }

    @Test
    void rawIsTheDiskItselfAsQemuImgProbesIt() throws IOException {
        Builder.BuiltImage image = build("raw");

        JsonNode info = json.readTree(run("qemu-img", "info", "--output=json", image.file().toString()));
        assertEquals("raw", info.path("format").asText());
        assertEquals(Files.size(image.file()), info.path("virtual-size").asLong());
        assertEquals("role=worker\n", ImageInspector.open(image, readBack).cat(NODE_CONF.path()));
    }

    @Test
    void vhdIsAFixedAzureDiskOfWholeMebibytesWithItsFooter() throws IOException {
        Builder.BuiltImage image = build("vhd");

        assertEquals("disk.vhd", image.file().getFileName().toString());
        long virtualSize = json.readTree(run("qemu-img", "info", "--output=json", "-f", "vpc", image.file().toString()))
                .path("virtual-size").asLong();
        assertEquals(0, virtualSize % MIB, "Azure takes whole MiB only: " + virtualSize);
        assertEquals(virtualSize + 512, Files.size(image.file()), "a fixed VHD is the disk plus a 512-byte footer");
        ByteBuffer footer = ByteBuffer.allocate(512);
        try (RandomAccessFile file = new RandomAccessFile(image.file().toFile(), "r")) {
            file.getChannel().read(footer, file.length() - 512);
        }
        assertEquals("conectix", new String(footer.array(), 0, 8, StandardCharsets.US_ASCII));
        assertEquals(virtualSize, footer.getLong(48), "the footer's current size");
        assertEquals(2, footer.getInt(60), "disk type 2: fixed");

        assertEquals(virtualSize, Files.size(workDir.resolve("disk.raw")));
        assertTrue(run("qemu-img", "compare", "-f", "raw", "-F", "vpc", workDir.resolve("disk.raw").toString(),
                image.file().toString()).contains("Images are identical"),
                "the VHD holds the raw disk, sector for sector");

        ImageInspector inside = ImageInspector.open(image.file(), "vpc", readBack);
        assertEquals("role=worker\n", inside.cat(NODE_CONF.path()));
        assertEquals("4242:4343", inside.owner(NODE_CONF.path()));
    }

    @Test
    void ovaIsAVsphereTemplateWithDescriptorFirstAndAMatchingManifest() throws Exception {
        Builder.BuiltImage image = build("ova");

        assertEquals(TEMPLATE + ".ova", image.file().getFileName().toString());
        String ovf = TEMPLATE + ".ovf";
        String vmdk = TEMPLATE + "-disk-0.vmdk";
        assertEquals(List.of(ovf, TEMPLATE + ".mf", vmdk), run("tar", "-tf", image.file().toString()).lines().toList(),
                "vSphere reads the descriptor first");
        assertArrayEquals("ustar\u000000".getBytes(StandardCharsets.US_ASCII), firstTarMagic(image.file(), false),
                "an OVA is a POSIX ustar archive");

        run("tar", "-xf", image.file().toString(), "-C", readBack.toString());
        String manifest = Files.readString(readBack.resolve(TEMPLATE + ".mf"));
        for (String member : List.of(ovf, vmdk)) {
            String sha256 = run("sha256sum", readBack.resolve(member).toString()).split(" ")[0];
            assertTrue(manifest.contains("SHA256(" + member + ")= " + sha256 + "\n"), manifest);
        }
        assertEquals(2, manifest.lines().count(), manifest);

        Document descriptor = parse(readBack.resolve(ovf));
        XPath xpath = XPathFactory.newInstance().newXPath();
        assertEquals(vmdk, xpath.evaluate("/*[local-name()='Envelope']/*[local-name()='References']"
                + "/*[local-name()='File']/@*[local-name()='href']", descriptor));
        assertEquals(String.valueOf(Files.size(readBack.resolve(vmdk))), xpath.evaluate(
                "//*[local-name()='File']/@*[local-name()='size']", descriptor));
        assertEquals(TEMPLATE, xpath.evaluate("//*[local-name()='VirtualSystem']/*[local-name()='Name']", descriptor));
        assertEquals("efi", xpath.evaluate("//*[local-name()='Config'][@*[local-name()='key']='firmware']"
                + "/@*[local-name()='value']", descriptor));
        String networkAdapters = "count(//*[local-name()='Item'][*[local-name()='ResourceType']='10'])";
        assertEquals(1.0, (Double) xpath.evaluate(networkAdapters, descriptor, XPathConstants.NUMBER), "one NIC");

        JsonNode info = json.readTree(run("qemu-img", "info", "--output=json", readBack.resolve(vmdk).toString()));
        assertEquals("vmdk", info.path("format").asText());
        assertEquals("streamOptimized", info.path("format-specific").path("data").path("create-type").asText());
        ImageInspector inside = ImageInspector.open(readBack.resolve(vmdk), "vmdk", readBack);
        assertEquals("role=worker\n", inside.cat(NODE_CONF.path()));
        assertEquals(List.of(new BuildCompleted.CloudImage("vsphere", null, TEMPLATE)), image.cloudImages(),
                "without a folder the template is at the top");
    }

    /**
     * An OVA for the spec's own template name and folder, read as vSphere and ovftool read it: the
     * members in VMware's order, the descriptor's required sections, ids and hardware, and a
     * streamOptimized disk that converts back to the raw disk byte for byte. build.completed names
     * the template in its folder, the shape image-builder builds report.
     */
    @Test
    void ovaNamedAfterTheSpecsTemplateHasVmwaresLayoutAndReportsItsTemplatePath() throws Exception {
        String template = "node-pool.kube-v1.30.4";
        BuildRequested request = vsphere(new BuildRequested.CloudParameters(null, null, "/dc1/vm/byoos/", template));
        Builder.BuiltImage image = nativeBuilder(TestBases.EXAMPLE_BASES).build(request, workDir, log,
                new BuildCancellation());

        assertEquals(List.of(new BuildCompleted.CloudImage("vsphere", null, "/dc1/vm/byoos/" + template)),
                image.cloudImages());
        assertEquals(template + ".ova", image.file().getFileName().toString());
        String ovf = template + ".ovf";
        String vmdk = template + "-disk-0.vmdk";
        assertEquals(List.of(ovf, template + ".mf", vmdk), run("tar", "-tf", image.file().toString()).lines().toList());
        run("tar", "-xf", image.file().toString(), "-C", readBack.toString());
        assertEquals("SHA256(" + ovf + ")= " + sha256sum(readBack.resolve(ovf)) + "\nSHA256(" + vmdk + ")= "
                + sha256sum(readBack.resolve(vmdk)) + "\n", Files.readString(readBack.resolve(template + ".mf")));

        Document descriptor = parse(readBack.resolve(ovf));
        XPath xpath = XPathFactory.newInstance().newXPath();
        String envelope = "/*[local-name()='Envelope' and namespace-uri()='http://schemas.dmtf.org/ovf/envelope/1']";
        String system = envelope + "/*[local-name()='VirtualSystem']";
        String hardware = system + "/*[local-name()='VirtualHardwareSection']";
        String fileId = xpath.evaluate(envelope + "/*[local-name()='References']/*[local-name()='File']"
                + "[@*[local-name()='href']='" + vmdk + "']/@*[local-name()='id']", descriptor);
        assertFalse(fileId.isEmpty(), "References lists the disk file");
        String disk = envelope + "/*[local-name()='DiskSection']/*[local-name()='Disk']";
        assertEquals(fileId, xpath.evaluate(disk + "/@*[local-name()='fileRef']", descriptor));
        long rawSize = Files.size(workDir.resolve("disk.raw"));
        assertEquals(String.valueOf(rawSize), xpath.evaluate(disk + "/@*[local-name()='capacity']", descriptor));
        assertEquals("http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
                xpath.evaluate(disk + "/@*[local-name()='format']", descriptor));
        assertEquals("VM Network", xpath.evaluate(envelope + "/*[local-name()='NetworkSection']"
                + "/*[local-name()='Network']/@*[local-name()='name']", descriptor));
        assertEquals(template, xpath.evaluate(system + "/@*[local-name()='id']", descriptor));
        assertEquals(template, xpath.evaluate(system + "/*[local-name()='Name']", descriptor));
        assertFalse(xpath.evaluate(system + "/*[local-name()='OperatingSystemSection']/@*[local-name()='id']",
                descriptor).isEmpty(), "an OperatingSystemSection with its CIM id");
        assertTrue(xpath.evaluate(hardware + "/*[local-name()='System']/*[local-name()='VirtualSystemType']",
                descriptor).matches("vmx-[0-9]+"), "a vSphere hardware version");
        for (String resourceType : List.of("3", "4", "6", "17", "10")) {
            assertEquals(1.0, (Double) xpath.evaluate("count(" + hardware + "/*[local-name()='Item']"
                    + "[*[local-name()='ResourceType']='" + resourceType + "'])", descriptor, XPathConstants.NUMBER),
                    "one item of resource type " + resourceType + " (CPU, memory, SCSI controller, disk, NIC)");
        }
        String diskItem = hardware + "/*[local-name()='Item'][*[local-name()='ResourceType']='17']";
        String diskId = xpath.evaluate(disk + "/@*[local-name()='diskId']", descriptor);
        assertEquals("ovf:/disk/" + diskId, xpath.evaluate(diskItem + "/*[local-name()='HostResource']", descriptor));
        assertEquals(xpath.evaluate(hardware + "/*[local-name()='Item'][*[local-name()='ResourceType']='6']"
                + "/*[local-name()='InstanceID']", descriptor), xpath.evaluate(diskItem + "/*[local-name()='Parent']",
                        descriptor), "the disk hangs off the controller");

        JsonNode info = json.readTree(run("qemu-img", "info", "--output=json", "-f", "vmdk",
                readBack.resolve(vmdk).toString()));
        assertEquals("streamOptimized", info.at("/format-specific/data/create-type").asText(), info.toString());
        assertEquals(rawSize, info.path("virtual-size").asLong());
        Path back = readBack.resolve("back.raw");
        run("qemu-img", "convert", "-f", "vmdk", "-O", "raw", readBack.resolve(vmdk).toString(), back.toString());
        assertEquals(sha256sum(workDir.resolve("disk.raw")), sha256sum(back), "the VMDK holds the raw disk");
    }

    /** A template path that climbs out of its folder names another template: refused before any work. */
    @Test
    void aVsphereFolderWithDotDotIsRefusedBeforeAnyWork() throws IOException {
        BuildRequested request = vsphere(new BuildRequested.CloudParameters(null, null, "/dc1/vm/../other", null));
        BuildException failure = assertThrows(BuildException.class, () -> nativeBuilder(TestBases.EXAMPLE_BASES)
                .build(request, workDir, log, new BuildCancellation()));

        assertEquals("INVALID_VSPHERE_FOLDER", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        try (var left = Files.list(workDir)) {
            assertEquals(List.of(), left.toList(), "nothing was unpacked or assembled");
        }
    }

    /** A template name that is not one Palette looks for, or not a safe file name, is refused before any work. */
    @Test
    void aTemplateNameWithASlashIsRefusedBeforeAnyWork() throws IOException {
        BuildRequested request = vsphere(new BuildRequested.CloudParameters(null, null, null, "r_u-a/../../etc"));
        BuildException failure = assertThrows(BuildException.class, () -> nativeBuilder(TestBases.EXAMPLE_BASES)
                .build(request, workDir, log, new BuildCancellation()));

        assertEquals("INVALID_TEMPLATE_NAME", failure.code());
        try (var left = Files.list(workDir)) {
            assertEquals(List.of(), left.toList(), "nothing was unpacked or assembled");
        }
    }

    @Test
    void gcpTarHoldsTheRawDiskAsDiskRawInAnOldGnuArchive() throws IOException {
        Builder.BuiltImage image = build("gcp-tar");

        assertEquals("image.tar.gz", image.file().getFileName().toString());
        assertEquals(List.of("disk.raw"), run("tar", "-tzf", image.file().toString()).lines().toList());
        assertArrayEquals("ustar  \0".getBytes(StandardCharsets.US_ASCII), firstTarMagic(image.file(), true),
                "GCE image import requires the oldgnu tar format");

        List<String> listing = run("tar", "--numeric-owner", "-tvzf", image.file().toString()).lines().toList();
        assertEquals(1, listing.size(), String.join("\n", listing));
        assertTrue(listing.get(0).startsWith("-"), "a regular file: " + listing.get(0));

        run("tar", "-xzf", image.file().toString(), "-C", readBack.toString());
        Path disk = readBack.resolve("disk.raw");
        assertEquals(0, Files.size(disk) % GIB, "GCE takes whole GiB only: " + Files.size(disk));
        assertEquals(sha256sum(workDir.resolve("disk.raw")), sha256sum(disk), "the member is the raw disk");
        assertTrue(run("sfdisk", "--verify", disk.toString()).contains("No errors detected"),
                "the backup GPT is at the grown disk's end");
        assertEquals("role=worker\n", ImageInspector.open(disk, "raw", readBack).cat(NODE_CONF.path()));
    }

    @Test
    void tgzIsTheRootTreeWithNumericOwners() throws IOException {
        Builder.BuiltImage image = build("tgz");

        assertEquals("root.tgz", image.file().getFileName().toString());
        assertFalse(Files.exists(workDir.resolve("disk.raw")), "a root tarball needs no disk");
        List<String> listing = run("tar", "--numeric-owner", "-tvzf", image.file().toString()).lines().toList();
        assertTrue(listing.stream().anyMatch(line -> line.endsWith(" ./etc/os-release")), String.join("\n", listing));
        String nodeConf = listing.stream().filter(line -> line.endsWith(" ." + NODE_CONF.path())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + NODE_CONF.path() + " in " + listing));
        assertTrue(nodeConf.startsWith("-rw-r----- 4242/4343 "), nodeConf);
        run("tar", "-xzf", image.file().toString(), "-C", readBack.toString(), "." + NODE_CONF.path());
        assertEquals("role=worker\n", Files.readString(readBack.resolve("." + NODE_CONF.path())));
    }

    /**
     * A base with a kernel, as MAAS deploys it from a {@code filetype=tgz} upload: relative paths,
     * numeric owners, the kernel and initrd in /boot, the base's symbolic links as links and its /dev
     * node where it was.
     */
    @Test
    void tgzOfABaseWithAKernelKeepsBootLinksAndDev(@TempDir Path bases) throws IOException {
        Path base = kernelBase(bases);
        Builder.BuiltImage image = nativeBuilder(bases).build(NativeBuilderTest.request("tgz", base.getFileName()
                .toString(), List.of(NODE_CONF)), workDir, log, new BuildCancellation());

        List<String> listing = run("tar", "--numeric-owner", "-tvzf", image.file().toString()).lines().toList();
        List<String> names = listing.stream().map(line -> line.split("\\s+", 6)[5]).toList();
        assertTrue(names.stream().allMatch(name -> name.equals("./") || name.startsWith("./")), "relative: " + names);
        assertTrue(has(listing, "-rw-r--r-- 0/0 ", " ./boot/vmlinuz-6.1.0-test-amd64"), String.join("\n", listing));
        assertTrue(has(listing, "-rw-r--r-- 0/0 ", " ./boot/initrd.img-6.1.0-test-amd64"), String.join("\n", listing));
        assertTrue(has(listing, "lrwxrwxrwx 0/0 ", " ./vmlinuz -> boot/vmlinuz-6.1.0-test-amd64"),
                String.join("\n", listing));
        assertTrue(has(listing, "crw-rw-rw- 0/0 ", " ./dev/null"), String.join("\n", listing));
        assertTrue(has(listing, "-rw-r----- 4242/4343 ", " ." + NODE_CONF.path()), String.join("\n", listing));
        assertTrue(has(listing, "-", " ./etc/os-release"), String.join("\n", listing));
    }

    /**
     * A device node outside /dev (a spec's script could make one) would give whoever opens it on the
     * deployed machine its raw disks: the root tarball is refused.
     */
    @Test
    void tgzWithADeviceNodeOutsideDevFailsItsCheck(@TempDir Path bases) throws IOException {
        Path base = kernelBase(bases);
        run("mknod", "-m", "666", base.resolve("etc/disk").toString(), "b", "7", "0");

        BuildException failure = assertThrows(BuildException.class, () -> nativeBuilder(bases).build(
                NativeBuilderTest.request("tgz", base.getFileName().toString(), List.of()), workDir, log,
                new BuildCancellation()));

        assertEquals("OUTPUT_CHECK_FAILED", failure.code());
        assertTrue(failure.getMessage().contains("device nodes outside /dev: [/etc/disk]"), failure.getMessage());
    }

    @Test
    void formatsTheNativeBuilderDoesNotWriteAreRefusedBeforeAnyWork() throws IOException {
        BuildException failure = assertThrows(BuildException.class, () -> build("iso"));

        assertEquals("FORMAT_NOT_BUILDABLE", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertTrue(failure.getMessage().contains("it writes gcp-tar, oci, ova, qcow2, raw, tgz, vhd"), failure.getMessage());
        try (var left = Files.list(workDir)) {
            assertEquals(List.of(), left.toList(), "nothing was unpacked or assembled");
        }
    }

    /**
     * The Edge OS image, read with GNU tar, gzip and sha256sum only: an OCI layout whose index names
     * one manifest, whose config and single gzip layer have the digests the manifest says, whose
     * layer uncompresses to the config's diff_id and holds the spec's file with its owner and mode,
     * entries sorted and every mtime the source date. Built twice, it is byte for byte the same archive.
     */
    @Test
    void ociIsAReproducibleOneLayerImageOfTheTreeInAnImageLayout(@TempDir Path secondWorkDir) throws IOException {
        BuildRequested request = NativeBuilderTest.request("oci", BASE, List.of(NODE_CONF));
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(TestBases.EXAMPLE_BASES)).build(request, workDir, log,
                new BuildCancellation());
        assertEquals("oci", image.format());
        assertEquals("image.oci.tar", image.file().getFileName().toString());

        Path layout = Files.createDirectories(readBack.resolve("layout"));
        run("tar", "-xf", image.file().toString(), "-C", layout.toString());
        assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", Files.readString(layout.resolve("oci-layout")));
        JsonNode index = json.readTree(layout.resolve("index.json").toFile());
        assertEquals(1, index.path("manifests").size());
        assertEquals("1.0.0", index.path("manifests").path(0).path("annotations")
                .path("org.opencontainers.image.ref.name").asText());
        JsonNode manifest = json.readTree(blobChecked(layout, index.path("manifests").path(0)).toFile());
        assertEquals("application/vnd.oci.image.manifest.v1+json", manifest.path("mediaType").asText());
        assertEquals("application/vnd.oci.image.config.v1+json", manifest.path("config").path("mediaType").asText());
        JsonNode config = json.readTree(blobChecked(layout, manifest.path("config")).toFile());
        assertEquals("amd64", config.path("architecture").asText());
        assertEquals("linux", config.path("os").asText());
        JsonNode labels = config.path("config").path("Labels");
        assertEquals(request.build().buildId(), labels.path("dev.byoos.build-id").asText());
        assertEquals("platform/node@1", labels.path("dev.byoos.spec").asText());
        assertEquals(1, manifest.path("layers").size());
        JsonNode layerDescriptor = manifest.path("layers").path(0);
        assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", layerDescriptor.path("mediaType").asText());
        Path layer = blobChecked(layout, layerDescriptor);
        Path layerTar = readBack.resolve("layer.tar");
        run("sh", "-c", "gzip -dc \"$0\" > \"$1\"", layer.toString(), layerTar.toString());
        assertEquals(List.of("sha256:" + sha256sum(layerTar)), List.of(config.path("rootfs").path("diff_ids")
                .path(0).asText()), "the config's diff_id is the uncompressed layer's digest");

        assertEquals("1980-01-01T00:00:00Z", config.path("created").asText(), "the source date");
        List<String> listing = run("tar", "--numeric-owner", "--full-time", "--utc", "-tvf", layerTar.toString())
                .lines().toList();
        List<String> names = listing.stream().map(line -> line.substring(line.lastIndexOf(' ') + 1)).toList();
        assertEquals(names.stream().sorted().toList(), names, "entries in name order");
        assertTrue(listing.stream().allMatch(line -> line.contains(" 1980-01-01 00:00:00 ")),
                String.join("\n", listing));
        String nodeConf = listing.stream().filter(line -> line.endsWith(" ." + NODE_CONF.path())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + NODE_CONF.path() + " in " + listing));
        assertTrue(nodeConf.startsWith("-rw-r----- 4242/4343 "), nodeConf);
        run("tar", "-xf", layerTar.toString(), "-C", readBack.toString(), "." + NODE_CONF.path());
        assertEquals("role=worker\n", Files.readString(readBack.resolve("." + NODE_CONF.path())));

        Builder.BuiltImage again = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(TestBases.EXAMPLE_BASES)).build(request, secondWorkDir, log,
                new BuildCancellation());
        assertEquals(sha256sum(image.file()), sha256sum(again.file()), "the same request makes the same archive");
    }

    private static boolean has(List<String> listing, String start, String end) {
        return listing.stream().anyMatch(line -> line.startsWith(start) && line.endsWith(end));
    }

    /**
     * The skeleton base with what a Debian kernel package leaves: kernel and initrd in /boot, the
     * {@code /vmlinuz} link, the boot loader, and /dev/null.
     */
    private Path kernelBase(Path bases) throws IOException {
        Path base = bases.resolve("debian-12-kernel");
        run("cp", "-a", "--", TestBases.EXAMPLE_BASES.resolve(BASE).toString(), base.toString());
        Path boot = Files.createDirectories(base.resolve("boot"));
        Files.writeString(boot.resolve("vmlinuz-6.1.0-test-amd64"), "not a kernel\n");
        Files.writeString(boot.resolve("initrd.img-6.1.0-test-amd64"), "not an initrd\n");
        Files.createSymbolicLink(base.resolve("vmlinuz"), Path.of("boot/vmlinuz-6.1.0-test-amd64"));
        Files.writeString(Files.createDirectories(base.resolve("usr/lib/systemd/boot/efi"))
                .resolve("systemd-bootx64.efi"), "not a boot loader\n");
        run("mknod", "-m", "666", Files.createDirectories(base.resolve("dev")).resolve("null").toString(), "c", "1",
                "3");
        return base;
    }

    private static NativeBuilder nativeBuilder(Path bases) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases));
    }

    private static BuildRequested vsphere(BuildRequested.CloudParameters cloud) {
        return NativeBuilderTest.vsphereRequest(BASE, List.of(NODE_CONF), cloud);
    }

    /** The blob a descriptor names, after checking its size and sha256 against the descriptor. */
    private Path blobChecked(Path layout, JsonNode descriptor) throws IOException {
        String digest = descriptor.path("digest").asText();
        assertTrue(digest.startsWith("sha256:"), digest);
        Path blob = layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
        assertEquals(descriptor.path("size").asLong(), Files.size(blob), "size of " + digest);
        assertEquals(digest, "sha256:" + sha256sum(blob));
        return blob;
    }

    private String sha256sum(Path file) {
        return run("sha256sum", file.toString()).substring(0, 64);
    }

    /** The magic and version fields (offset 257) of an archive's first header. */
    private static byte[] firstTarMagic(Path archive, boolean gzipped) throws IOException {
        try (InputStream file = Files.newInputStream(archive);
                InputStream tar = gzipped ? new GZIPInputStream(file) : file) {
            byte[] header = tar.readNBytes(512);
            return Arrays.copyOfRange(header, 257, 265);
        }
    }

    private static Document parse(Path xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(xml.toFile());
    }

    private String run(String... command) {
        return new CommandRunner(log, new BuildCancellation()).run(Duration.ofMinutes(2), workDir, null, command);
    }
}
