package dev.byoos.worker.builder.layers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentsLayer;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * A CycloneDX 1.5 JSON bill of materials of a built root filesystem: the packages in its dpkg
 * database, the Kubernetes components the build installed (version, package URL, the release
 * artifact's sha256, the paths it went to), the other files the build wrote (with their sha256 as
 * they are in the image), and Kubernetes node binaries something else put at their usual paths
 * (with sha256; their versions are known only when a package installed them, and then the package
 * lists them).
 *
 * <p>RPM databases are not read: the worker has no rpm tool, and the native builder makes
 * Debian-family images only. An image with one gets a BOM without its packages, and says so in
 * a property ({@value #RPM_NOT_READ}).
 */
public final class RootFilesystemSbom {

    public static final String SPEC_VERSION = "1.5";
    static final String DPKG_STATUS = "/var/lib/dpkg/status";
    static final String RPM_DATABASE = "/var/lib/rpm";
    static final String RPM_NOT_READ = "byoos:rpm-database-not-read";
    /** Every file time and timestamp in the image, in seconds since 1970. */
    static final String SOURCE_DATE_EPOCH = "byoos:source-date-epoch";
    /** Where kubeadm-style installs and the CNI plugins put the node components. */
    static final List<String> KUBERNETES_COMPONENTS = List.of(
            "/usr/bin/kubeadm", "/usr/bin/kubelet", "/usr/bin/kubectl", "/usr/bin/containerd", "/usr/bin/crictl",
            "/usr/bin/runc", "/usr/local/bin/kubeadm", "/usr/local/bin/kubelet", "/usr/local/bin/kubectl",
            "/usr/local/bin/containerd", "/usr/local/bin/crictl", "/usr/local/sbin/runc", "/opt/cni/bin/bridge",
            "/opt/cni/bin/host-local", "/opt/cni/bin/loopback", "/opt/cni/bin/portmap");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RootFilesystemSbom() {
    }

    /** One installed package of the image's package database. */
    record InstalledPackage(String name, String version, String architecture) {
    }

    /**
     * Writes the BOM of {@code rootfs} to {@code target}.
     *
     * @param kubernetes the Kubernetes components the build installed: listed with their versions,
     *                   their release artifacts' sha256 and where they went, and not again as files
     * @param identity   what the BOM's serial number derives from: the same image gets the same one
     * @param osName     the image's operating system (as the spec names it), with {@code osVersion}
     * @param builderVersion the worker's version, recorded as the tool that made the BOM
     * @param sourceDate the image's one time ({@code Reproducibility}): the BOM's timestamp, and a
     *                   property ({@value #SOURCE_DATE_EPOCH}), so the same image has the same BOM
     */
    public static Path write(RootFilesystem rootfs, List<KubernetesComponentsLayer.Installed> kubernetes,
            String identity, String osName, String osVersion, String builderVersion, Instant sourceDate, Path target) {
        ObjectNode bom = JSON.createObjectNode();
        bom.put("bomFormat", "CycloneDX");
        bom.put("specVersion", SPEC_VERSION);
        bom.put("serialNumber", "urn:uuid:" + UUID.nameUUIDFromBytes(identity.getBytes(StandardCharsets.UTF_8)));
        bom.put("version", 1);
        ObjectNode metadata = bom.putObject("metadata");
        metadata.put("timestamp", sourceDate.toString());
        ObjectNode tool = metadata.putObject("tools").putArray("components").addObject();
        tool.put("type", "application");
        tool.put("name", "byoos-build-worker");
        tool.put("version", builderVersion);
        ObjectNode image = metadata.putObject("component");
        image.put("type", "operating-system");
        image.put("bom-ref", "image");
        image.put("name", osName);
        image.put("version", osVersion);
        ArrayNode properties = metadata.putArray("properties");
        properties.addObject().put("name", SOURCE_DATE_EPOCH).put("value", String.valueOf(sourceDate.getEpochSecond()));

        ArrayNode components = bom.putArray("components");
        Map<String, String> osRelease = osRelease(rootfs);
        for (InstalledPackage installed : dpkgPackages(rootfs)) {
            ObjectNode component = components.addObject();
            String purl = debianPurl(installed, osRelease);
            component.put("type", "library");
            component.put("bom-ref", purl);
            component.put("name", installed.name());
            component.put("version", installed.version());
            component.put("purl", purl);
        }
        if (rootfs.has(RPM_DATABASE)) {
            ObjectNode property = properties.addObject();
            property.put("name", RPM_NOT_READ);
            property.put("value", "the image has an RPM database; its packages are not listed");
        }
        Set<String> installedPaths = new HashSet<>();
        for (KubernetesComponentsLayer.Installed component : kubernetes) {
            ObjectNode entry = components.addObject();
            entry.put("type", "application");
            entry.put("bom-ref", component.purl());
            entry.put("name", component.name());
            entry.put("version", component.version());
            entry.put("purl", component.purl());
            addSha256(entry, component.sha256());
            ArrayNode paths = entry.putArray("properties");
            paths.addObject().put("name", "byoos:source").put("value", component.source());
            component.paths().forEach(path -> paths.addObject().put("name", "byoos:path").put("value", path));
            installedPaths.addAll(component.paths());
        }
        for (String path : KUBERNETES_COMPONENTS) {
            // A binary some other way put there (a package, a script) is listed by its path alone.
            if (!installedPaths.contains(path) && rootfs.hasRegularFile(path)) {
                ObjectNode component = components.addObject();
                component.put("type", "application");
                component.put("bom-ref", "kubernetes:" + path);
                component.put("name", Path.of(path).getFileName().toString());
                addSha256(component, Sha256.of(rootfs.resolve(path)));
                component.putArray("properties").addObject().put("name", "byoos:path").put("value", path);
            }
        }
        for (String path : rootfs.writtenPaths()) {
            if (!installedPaths.contains(path) && rootfs.hasRegularFile(path)) {
                ObjectNode component = components.addObject();
                component.put("type", "file");
                component.put("bom-ref", "file:" + path);
                component.put("name", path);
                addSha256(component, Sha256.of(rootfs.resolve(path)));
            }
        }
        try {
            JSON.writeValue(target.toFile(), bom);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** @return the packages dpkg has installed ({@code Status: install ok installed}), in database order */
    static List<InstalledPackage> dpkgPackages(RootFilesystem rootfs) {
        if (!rootfs.hasRegularFile(DPKG_STATUS)) {
            return List.of();
        }
        List<InstalledPackage> packages = new ArrayList<>();
        for (String stanza : rootfs.read(DPKG_STATUS).orElse("").split("\n\n")) {
            Map<String, String> fields = controlFields(stanza);
            String status = fields.getOrDefault("Status", "");
            if (fields.containsKey("Package") && fields.containsKey("Version") && status.endsWith(" installed")) {
                packages.add(new InstalledPackage(fields.get("Package"), fields.get("Version"),
                        fields.getOrDefault("Architecture", "all")));
            }
        }
        return packages;
    }

    /** Fields of one deb822 stanza; continuation lines (leading space) belong to the field above and are skipped. */
    private static Map<String, String> controlFields(String stanza) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : stanza.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !Character.isWhitespace(line.charAt(0))) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    private static Map<String, String> osRelease(RootFilesystem rootfs) {
        Optional<String> text = rootfs.hasRegularFile("/etc/os-release") ? rootfs.read("/etc/os-release")
                : rootfs.hasRegularFile("/usr/lib/os-release") ? rootfs.read("/usr/lib/os-release") : Optional.empty();
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.orElse("").split("\n")) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                fields.put(line.substring(0, equals).strip(), line.substring(equals + 1).strip().replace("\"", ""));
            }
        }
        return fields;
    }

    /** A package URL as the purl spec has it for Debian: {@code pkg:deb/debian/name@version?arch=amd64&distro=debian-12}. */
    static String debianPurl(InstalledPackage installed, Map<String, String> osRelease) {
        String vendor = osRelease.getOrDefault("ID", "debian");
        StringBuilder purl = new StringBuilder("pkg:deb/").append(encode(vendor)).append('/')
                .append(encode(installed.name())).append('@').append(encode(installed.version()))
                .append("?arch=").append(encode(installed.architecture()));
        String release = osRelease.get("VERSION_ID");
        if (release != null) {
            purl.append("&distro=").append(encode(vendor + "-" + release));
        }
        return purl.toString();
    }

    /** Percent-encodes everything but the characters purl leaves as they are in names and versions. */
    private static String encode(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || ".+~_-".indexOf(c) >= 0)) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return encoded.toString();
    }

    private static void addSha256(ObjectNode component, String sha256) {
        ObjectNode hash = component.putArray("hashes").addObject();
        hash.put("alg", "SHA-256");
        hash.put("content", sha256);
    }
}
