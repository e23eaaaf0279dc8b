package dev.byoos.spec.validation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.byoos.spec.model.ImageSpec;

/**
 * Checks a parsed spec document and, when it is acceptable, turns it into an {@link ImageSpec}
 * with defaults applied. Every violation is collected (not just the first) so a user fixes a
 * spec in one round trip; unknown fields are violations because a typo must never be ignored.
 */
@ApplicationScoped
public class SpecValidator {

    static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
    static final Pattern KUBERNETES_VERSION = Pattern.compile("v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)");
    static final Pattern COMPONENT_VERSION = Pattern.compile("\\d+\\.\\d+\\.\\d+");
    static final Pattern OS_VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._-]{0,31}");
    static final Pattern FILE_MODE = Pattern.compile("0?[0-7]{3,4}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_./]{0,61}[A-Za-z0-9])?");
    static final int MAX_FILE_CONTENT_BYTES = 256 * 1024;
    static final int MAX_FILES = 256;
    static final int MAX_TARGETS = 16;

    static final Set<String> OS_NAMES = Set.of("ubuntu", "debian", "rhel", "rockylinux");
    static final Set<String> CLOUDS = Set.of("aws", "azure", "gcp", "vsphere", "maas", "edge", "qemu");
    /** Formats the native builder can produce today, per cloud; other clouds come with later builders. */
    static final Map<String, Set<String>> BUILDABLE_FORMATS = Map.of("qemu", Set.of("qcow2", "raw"));
    static final Map<String, String> DEFAULT_FORMAT = Map.of(
            "aws", "ami", "azure", "vhd", "gcp", "gcp-tar", "vsphere", "ova", "maas", "tgz", "edge", "oci",
            "qemu", "qcow2");
    /** Paths a file customization may never write to: kernel-provided or device trees. */
    static final List<String> FORBIDDEN_PATH_PREFIXES = List.of("/proc", "/sys", "/dev");

    private final KubernetesSupportMatrix matrix = KubernetesSupportMatrix.load();

    public ImageSpec validate(JsonNode document) {
        Checker check = new Checker(matrix);
        ImageSpec spec = check.document(document);
        if (!check.violations.isEmpty()) {
            throw new SpecRejectedException(check.violations);
        }
        return spec;
    }

    /** One validation run; accumulates violations while walking the tree. */
    private static final class Checker {
        private final List<Violation> violations = new ArrayList<>();
        private final KubernetesSupportMatrix matrix;

        Checker(KubernetesSupportMatrix matrix) {
            this.matrix = matrix;
        }

        ImageSpec document(JsonNode root) {
            if (!object(root, "")) {
                return null;
            }
            allowOnly(root, "", "apiVersion", "kind", "metadata", "spec");
            String apiVersion = requiredText(root, "", "apiVersion");
            if (apiVersion != null && !ImageSpec.API_VERSION.equals(apiVersion)) {
                add("/apiVersion", Violation.NOT_ALLOWED, "must be " + ImageSpec.API_VERSION);
            }
            String kind = requiredText(root, "", "kind");
            if (kind != null && !ImageSpec.KIND.equals(kind)) {
                add("/kind", Violation.NOT_ALLOWED, "must be " + ImageSpec.KIND);
            }
            ImageSpec.Metadata metadata = metadata(required(root, "", "metadata"));
            ImageSpec.Spec spec = spec(required(root, "", "spec"));
            return new ImageSpec(ImageSpec.API_VERSION, ImageSpec.KIND, metadata, spec);
        }

        ImageSpec.Metadata metadata(JsonNode node) {
            String at = "/metadata";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "name", "team", "labels", "description");
            String name = matching(requiredText(node, at, "name"), at + "/name", DNS_LABEL,
                    "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters");
            String team = matching(requiredText(node, at, "team"), at + "/team", DNS_LABEL,
                    "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters");
            Map<String, String> labels = new LinkedHashMap<>();
            JsonNode labelsNode = node.get("labels");
            if (labelsNode != null && object(labelsNode, at + "/labels")) {
                labelsNode.fields().forEachRemaining(entry -> {
                    String pointer = at + "/labels/" + escape(entry.getKey());
                    if (!LABEL_KEY.matcher(entry.getKey()).matches()) {
                        add(pointer, Violation.INVALID_FORMAT, "label keys are letters, digits, '-', '_', '.', '/'");
                    }
                    if (!entry.getValue().isTextual()) {
                        add(pointer, Violation.WRONG_TYPE, "label values must be strings");
                    } else {
                        labels.put(entry.getKey(), entry.getValue().asText());
                    }
                });
            }
            String description = optionalText(node, at, "description");
            return new ImageSpec.Metadata(name, team, Map.copyOf(labels), description);
        }

        ImageSpec.Spec spec(JsonNode node) {
            String at = "/spec";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "os", "kubernetes", "targets", "customizations", "pack");
            ImageSpec.OperatingSystem os = os(required(node, at, "os"));
            ImageSpec.Kubernetes kubernetes = kubernetes(required(node, at, "kubernetes"));
            List<ImageSpec.Target> targets = targets(required(node, at, "targets"));
            JsonNode customizationsNode = node.get("customizations");
            ImageSpec.Customizations customizations = customizationsNode == null
                    ? new ImageSpec.Customizations(List.of())
                    : customizations(customizationsNode);
            ImageSpec.Pack pack = pack(required(node, at, "pack"));
            return new ImageSpec.Spec(os, kubernetes, targets, customizations, pack);
        }

        ImageSpec.OperatingSystem os(JsonNode node) {
            String at = "/spec/os";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "name", "version", "base");
            String name = requiredText(node, at, "name");
            if (name != null && !OS_NAMES.contains(name)) {
                add(at + "/name", Violation.NOT_ALLOWED, "must be one of " + sorted(OS_NAMES));
            }
            String version = matching(requiredText(node, at, "version"), at + "/version", OS_VERSION,
                    "a distribution version such as 22.04, 12 or 8.8 (quote it in YAML)");
            ImageSpec.Base base = null;
            JsonNode baseNode = required(node, at, "base");
            if (object(baseNode, at + "/base")) {
                allowOnly(baseNode, at + "/base", "local");
                String local = matching(requiredText(baseNode, at + "/base", "local"), at + "/base/local",
                        DNS_LABEL, "the name of a base in the build workers' local catalog (a DNS-1123 label)");
                base = new ImageSpec.Base(local);
            }
            return new ImageSpec.OperatingSystem(name, version, base);
        }

        ImageSpec.Kubernetes kubernetes(JsonNode node) {
            String at = "/spec/kubernetes";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "version", "containerd", "cni", "crictl");
            String version = matching(requiredText(node, at, "version"), at + "/version", KUBERNETES_VERSION,
                    "a Kubernetes release such as 1.30.4");
            version = version == null ? null : version.replaceFirst("^v", "");
            var defaults = version == null ? null : matrix.componentsFor(version).orElse(null);
            if (version != null && defaults == null) {
                add(at + "/version", Violation.UNSUPPORTED_VERSION, "Kubernetes " + version
                        + " is not in the support matrix; supported: " + matrix.releases());
            }
            String containerd = component(node, at, "containerd", defaults == null ? null : defaults.containerd());
            String cni = component(node, at, "cni", defaults == null ? null : defaults.cni());
            String crictl = component(node, at, "crictl", defaults == null ? null : defaults.crictl());
            return new ImageSpec.Kubernetes(version, containerd, cni, crictl);
        }

        /** A component version: as given when some supported release ships it, else the release's default. */
        private String component(JsonNode node, String at, String name, String defaultVersion) {
            String version = matching(optionalText(node, at, name), at + "/" + name, COMPONENT_VERSION,
                    "a version such as 1.7.13");
            if (version == null) {
                return defaultVersion;
            }
            if (!matrix.knownVersions(name).contains(version)) {
                add(at + "/" + name, Violation.UNSUPPORTED_VERSION, name + " " + version
                        + " is not in the support matrix; known: " + matrix.knownVersions(name));
            }
            return version;
        }

        List<ImageSpec.Target> targets(JsonNode node) {
            String at = "/spec/targets";
            List<ImageSpec.Target> targets = new ArrayList<>();
            if (node == null) {
                return targets;
            }
            if (!node.isArray()) {
                add(at, Violation.WRONG_TYPE, "must be a list of targets");
                return targets;
            }
            if (node.isEmpty()) {
                add(at, Violation.REQUIRED, "at least one target is required");
            }
            if (node.size() > MAX_TARGETS) {
                add(at, Violation.TOO_LARGE, "at most " + MAX_TARGETS + " targets per spec");
            }
            Set<String> clouds = new HashSet<>();
            for (int i = 0; i < node.size(); i++) {
                String itemAt = at + "/" + i;
                JsonNode item = node.get(i);
                if (!object(item, itemAt)) {
                    continue;
                }
                allowOnly(item, itemAt, "cloud", "format");
                String cloud = requiredText(item, itemAt, "cloud");
                if (cloud != null && !CLOUDS.contains(cloud)) {
                    add(itemAt + "/cloud", Violation.NOT_ALLOWED, "must be one of " + sorted(CLOUDS));
                    cloud = null;
                }
                String format = optionalText(item, itemAt, "format");
                if (cloud != null) {
                    if (!clouds.add(cloud)) {
                        add(itemAt + "/cloud", Violation.DUPLICATE,
                                "cloud '" + cloud + "' is already a target; a spec has one target per cloud "
                                        + "because each target publishes its own pack");
                    }
                    if (format == null) {
                        format = DEFAULT_FORMAT.get(cloud);
                    }
                    Set<String> buildable = BUILDABLE_FORMATS.getOrDefault(cloud, Set.of());
                    if (!buildable.contains(format)) {
                        add(itemAt, Violation.TARGET_NOT_BUILDABLE, buildable.isEmpty()
                                ? "no builder can produce images for cloud '" + cloud + "' yet; buildable clouds: "
                                        + sorted(BUILDABLE_FORMATS.keySet())
                                : "format '" + format + "' cannot be built for cloud '" + cloud + "'; choose one of "
                                        + sorted(buildable));
                    }
                }
                targets.add(new ImageSpec.Target(cloud, format));
            }
            return targets;
        }

        ImageSpec.Customizations customizations(JsonNode node) {
            String at = "/spec/customizations";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "files");
            List<ImageSpec.FileCustomization> files = new ArrayList<>();
            JsonNode filesNode = node.get("files");
            if (filesNode == null) {
                return new ImageSpec.Customizations(files);
            }
            if (!filesNode.isArray()) {
                add(at + "/files", Violation.WRONG_TYPE, "must be a list of files");
                return new ImageSpec.Customizations(files);
            }
            if (filesNode.size() > MAX_FILES) {
                add(at + "/files", Violation.TOO_LARGE, "at most " + MAX_FILES + " files per spec");
            }
            Set<String> paths = new HashSet<>();
            for (int i = 0; i < filesNode.size(); i++) {
                String itemAt = at + "/files/" + i;
                JsonNode item = filesNode.get(i);
                if (!object(item, itemAt)) {
                    continue;
                }
                allowOnly(item, itemAt, "path", "content", "mode");
                String path = requiredText(item, itemAt, "path");
                if (path != null) {
                    String problem = unsafePathReason(path);
                    if (problem != null) {
                        add(itemAt + "/path", Violation.UNSAFE_PATH, problem);
                    } else if (!paths.add(path)) {
                        add(itemAt + "/path", Violation.DUPLICATE, "another file already writes " + path);
                    }
                }
                String content = requiredText(item, itemAt, "content");
                if (content != null && content.getBytes(StandardCharsets.UTF_8).length > MAX_FILE_CONTENT_BYTES) {
                    add(itemAt + "/content", Violation.TOO_LARGE,
                            "file content is limited to " + MAX_FILE_CONTENT_BYTES + " bytes");
                }
                String mode = matching(optionalText(item, itemAt, "mode"), itemAt + "/mode", FILE_MODE,
                        "an octal file mode such as \"0644\" (quote it in YAML)");
                files.add(new ImageSpec.FileCustomization(path, content, mode == null ? "0644" : normaliseMode(mode)));
            }
            return new ImageSpec.Customizations(files);
        }

        ImageSpec.Pack pack(JsonNode node) {
            String at = "/spec/pack";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "name", "version", "displayName");
            String name = matching(requiredText(node, at, "name"), at + "/name", DNS_LABEL,
                    "lowercase letters, digits and '-' (it becomes the OCI repository name)");
            String version = matching(requiredText(node, at, "version"), at + "/version", SEMVER,
                    "a semantic version such as 1.0.0");
            String displayName = requiredText(node, at, "displayName");
            if (displayName != null && displayName.length() > 64) {
                add(at + "/displayName", Violation.TOO_LARGE, "at most 64 characters");
            }
            return new ImageSpec.Pack(name, version, displayName);
        }

        // ---- helpers -------------------------------------------------------------------------

        private boolean object(JsonNode node, String at) {
            if (node == null) {
                return false;
            }
            if (!node.isObject()) {
                add(at, Violation.WRONG_TYPE, "must be an object");
                return false;
            }
            return true;
        }

        private JsonNode required(JsonNode parent, String at, String field) {
            JsonNode value = parent.get(field);
            if (value == null || value.isNull()) {
                add(at + "/" + field, Violation.REQUIRED, field + " is required");
                return null;
            }
            return value;
        }

        private String requiredText(JsonNode parent, String at, String field) {
            JsonNode value = required(parent, at, field);
            if (value == null) {
                return null;
            }
            return text(value, at + "/" + field);
        }

        private String optionalText(JsonNode parent, String at, String field) {
            JsonNode value = parent.get(field);
            return value == null || value.isNull() ? null : text(value, at + "/" + field);
        }

        private String text(JsonNode value, String pointer) {
            if (!value.isTextual()) {
                add(pointer, Violation.WRONG_TYPE, "must be a string" + (value.isNumber() ? " (quote it in YAML)" : ""));
                return null;
            }
            if (value.asText().isBlank()) {
                add(pointer, Violation.REQUIRED, "must not be blank");
                return null;
            }
            return value.asText();
        }

        private String matching(String value, String pointer, Pattern pattern, String expected) {
            if (value != null && !pattern.matcher(value).matches()) {
                add(pointer, Violation.INVALID_FORMAT, "'" + abbreviate(value) + "' is not " + expected);
                return null;
            }
            return value;
        }

        private void allowOnly(JsonNode node, String at, String... allowed) {
            Set<String> known = Set.of(allowed);
            for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
                String name = names.next();
                if (!known.contains(name)) {
                    add(at + "/" + escape(name), Violation.UNKNOWN_FIELD,
                            "unknown field '" + abbreviate(name) + "'; allowed here: " + sorted(known));
                }
            }
        }

        private void add(String pointer, String code, String message) {
            violations.add(new Violation(pointer, code, message));
        }
    }

    /** @return why a file path may not be written, or null when it is acceptable */
    static String unsafePathReason(String path) {
        if (!path.startsWith("/")) {
            return "must be an absolute path";
        }
        if (path.contains("\0") || path.contains("\\")) {
            return "must not contain NUL or backslash characters";
        }
        if (path.endsWith("/")) {
            return "must name a file, not a directory";
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "must be normalised: no empty, '.' or '..' segments";
            }
        }
        for (String prefix : FORBIDDEN_PATH_PREFIXES) {
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                return "must not be under " + prefix + " (provided by the kernel at boot)";
            }
        }
        return null;
    }

    private static String normaliseMode(String mode) {
        return mode.length() == 3 ? "0" + mode : mode;
    }

    /** RFC 6901 escaping of one pointer segment. */
    static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    private static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }
}
