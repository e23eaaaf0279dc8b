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

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import dev.byoos.spec.config.SpecServiceConfig;
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

    static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{1,31}");
    static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    static final Pattern IMAGE_REFERENCE = Pattern.compile(
            "([a-z0-9.-]+(:[0-9]{1,5})?)/[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?");
    static final Pattern AWS_REGION = Pattern.compile("[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]");
    static final Pattern AZURE_LOCATION = Pattern.compile("[a-z][a-z0-9]{1,39}");
    static final Pattern VSPHERE_FOLDER = Pattern.compile("[A-Za-z0-9 _./-]{1,255}");
    static final Pattern TEMPLATE_NAME = Pattern.compile("r_u-[A-Za-z0-9._-]{1,76}");
    static final Pattern DEB_PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?");
    static final Pattern RPM_PACKAGE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
    static final Pattern POSIX_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    static final Pattern OWNER = Pattern.compile("([a-z_][a-z0-9_-]{0,31}|[0-9]{1,10}):([a-z_][a-z0-9_-]{0,31}|[0-9]{1,10})");
    static final Pattern SYSCTL_KEY = Pattern.compile("[a-z0-9_]+(\\.[A-Za-z0-9_-]+)+");
    static final Pattern SYSCTL_VALUE = Pattern.compile("[A-Za-z0-9 \\t._:/,+-]{1,256}");
    static final Pattern KERNEL_MODULE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final Pattern TIMEOUT = Pattern.compile("([1-9][0-9]{0,4})(s|m)");
    static final int MAX_PACKAGES = 512;
    static final int MAX_USERS = 64;
    static final int MAX_KEYS_PER_USER = 32;
    static final int MAX_SYSCTL = 256;
    static final int MAX_KERNEL_MODULES = 128;
    static final int MAX_CA_CERTIFICATES = 32;
    static final int MAX_CERTIFICATE_BYTES = 64 * 1024;
    static final int MAX_SCRIPTS = 32;
    static final int MAX_SCRIPT_BYTES = 64 * 1024;
    static final int MAX_SCRIPT_TIMEOUT_SECONDS = 3600;
    static final int DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300;

    static final Set<String> OS_NAMES = Set.of("ubuntu", "debian", "rhel", "rockylinux");
    static final Set<String> DEB_FAMILY = Set.of("ubuntu", "debian");
    /** Distributions with FIPS 140-validated modules (Ubuntu Pro, RHEL and Rocky Linux FIPS mode). */
    static final Set<String> FIPS_OS = Set.of("ubuntu", "rhel", "rockylinux");
    static final Set<String> IMAGE_TYPES = Set.of("standard", "fips");
    static final Set<String> RESERVED_USERS = Set.of("root", "nobody");
    static final Set<String> SCRIPT_STAGES = Set.of("pre", "post");
    /** The formats each cloud takes; the first is the default. */
    static final Map<String, List<String>> CLOUD_FORMATS = Map.of(
            "aws", List.of("ami"), "azure", List.of("vhd"), "gcp", List.of("gcp-tar"), "vsphere", List.of("ova"),
            "maas", List.of("tgz"), "edge", List.of("oci"), "qemu", List.of("qcow2", "raw"));
    static final Set<String> CLOUDS = CLOUD_FORMATS.keySet();
    static final String NATIVE = "native";
    static final String IMAGE_BUILDER = "image-builder";
    /** The formats each builder produces. AMIs only exist inside AWS, so only image-builder makes them. */
    static final Map<String, Set<String>> BUILDER_FORMATS = Map.of(
            NATIVE, Set.of("qcow2", "raw", "vhd", "gcp-tar", "ova", "tgz", "oci"),
            IMAGE_BUILDER, Set.of("ami", "vhd", "gcp-tar", "ova"));
    /** Clouds whose images are normally built inside the cloud, by Kubernetes Image Builder. */
    static final Set<String> IMAGE_BUILDER_BY_DEFAULT = Set.of("aws", "azure", "vsphere");
    /**
     * What this installation's builders can build today, per builder. Everything else in
     * BUILDER_FORMATS is a valid spec that is rejected as not buildable yet (TARGET_NOT_BUILDABLE),
     * so nobody waits for a build that cannot start.
     */
    static final Map<String, Set<String>> BUILDABLE_FORMATS = Map.of(NATIVE, Set.of("qcow2", "raw", "oci"));
    /**
     * What the workers' image-builder executor builds inside the clouds, once an installation runs it
     * (spec-service.image-builder.enabled): AMIs, Azure VHDs and vSphere templates.
     */
    static final Set<String> IMAGE_BUILDER_BUILDABLE_FORMATS = Set.of("ami", "vhd", "ova");
    /** The distributions Kubernetes Image Builder has builds for. */
    static final Set<String> IMAGE_BUILDER_OS = Set.of("ubuntu", "rhel", "rockylinux");
    /** Base kinds the native builder can start from today; the others are validated, then refused. */
    static final Set<String> BUILDABLE_BASES = Set.of("local", "debootstrap", "tarball");
    /** Paths a file customization may never write to: kernel-provided or device trees. */
    static final List<String> FORBIDDEN_PATH_PREFIXES = List.of("/proc", "/sys", "/dev");

    private final KubernetesSupportMatrix matrix = KubernetesSupportMatrix.load();
    private final HostPolicy hosts;
    private final Clock clock;
    private final Map<String, Set<String>> buildableFormats;

    /** A validator with the default host allow-list (tests and tools). */
    public SpecValidator() {
        this(new HostPolicy(HostPolicy.DEFAULT_ALLOWED), Clock.systemUTC());
    }

    @Inject
    public SpecValidator(SpecServiceConfig config) {
        this(new HostPolicy(config.allowedHosts().orElse(HostPolicy.DEFAULT_ALLOWED)), Clock.systemUTC(),
                config.imageBuilder().enabled());
    }

    SpecValidator(HostPolicy hosts, Clock clock) {
        this(hosts, clock, false);
    }

    /** @param imageBuilder whether the workers run the image-builder executor (cloud builds accepted) */
    SpecValidator(HostPolicy hosts, Clock clock, boolean imageBuilder) {
        this.hosts = hosts;
        this.clock = clock;
        this.buildableFormats = imageBuilder
                ? Map.of(NATIVE, BUILDABLE_FORMATS.get(NATIVE), IMAGE_BUILDER, IMAGE_BUILDER_BUILDABLE_FORMATS)
                : BUILDABLE_FORMATS;
    }

    public ImageSpec validate(JsonNode document) {
        Checker check = new Checker(matrix, hosts, clock, buildableFormats);
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
        private final HostPolicy hosts;
        private final Clock clock;
        private final Map<String, Set<String>> buildableFormats;

        Checker(KubernetesSupportMatrix matrix, HostPolicy hosts, Clock clock, Map<String, Set<String>> buildableFormats) {
            this.buildableFormats = buildableFormats;
            this.matrix = matrix;
            this.hosts = hosts;
            this.clock = clock;
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
            allowOnly(node, at, "os", "kubernetes", "imageType", "targets", "customizations", "pack");
            ImageSpec.OperatingSystem os = os(required(node, at, "os"));
            String osName = os == null ? null : os.name();
            ImageSpec.Kubernetes kubernetes = kubernetes(required(node, at, "kubernetes"));
            String imageType = optionalText(node, at, "imageType");
            if (imageType == null) {
                imageType = "standard";
            } else if (!IMAGE_TYPES.contains(imageType)) {
                add(at + "/imageType", Violation.NOT_ALLOWED, "must be one of " + sorted(IMAGE_TYPES));
                imageType = null;
            } else if ("fips".equals(imageType) && osName != null && !FIPS_OS.contains(osName)) {
                add(at + "/imageType", Violation.NOT_ALLOWED, osName + " has no FIPS 140-validated modules; "
                        + "fips images are for " + sorted(FIPS_OS));
            }
            List<ImageSpec.Target> targets = targets(required(node, at, "targets"), imageType, os, kubernetes);
            JsonNode customizationsNode = node.get("customizations");
            ImageSpec.Customizations customizations = customizationsNode == null
                    ? ImageSpec.Customizations.none()
                    : customizations(customizationsNode, osName);
            ImageSpec.Pack pack = pack(required(node, at, "pack"));
            return new ImageSpec.Spec(os, kubernetes, imageType, targets, customizations, pack);
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
                name = null;
            }
            String version = matching(requiredText(node, at, "version"), at + "/version", OS_VERSION,
                    "a distribution version such as 22.04, 12 or 8.8 (quote it in YAML)");
            ImageSpec.Base base = base(required(node, at, "base"), name);
            return new ImageSpec.OperatingSystem(name, version, base);
        }

        ImageSpec.Base base(JsonNode node, String osName) {
            String at = "/spec/os/base";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "local", "debootstrap", "tarball", "image");
            List<String> given = new ArrayList<>();
            node.fieldNames().forEachRemaining(given::add);
            if (given.isEmpty()) {
                add(at, Violation.REQUIRED, "one of local, debootstrap, tarball or image is required");
                return null;
            }
            if (given.size() > 1) {
                add(at, Violation.NOT_ALLOWED, "exactly one of local, debootstrap, tarball or image; got " + given);
                return null;
            }
            ImageSpec.Base base = null;
            if (node.has("local")) {
                String local = matching(requiredText(node, at, "local"), at + "/local", DNS_LABEL,
                        "the name of a base in the build workers' local catalog (a DNS-1123 label)");
                base = new ImageSpec.Base(local, null, null, null);
            } else if (node.has("debootstrap")) {
                String dAt = at + "/debootstrap";
                JsonNode d = node.get("debootstrap");
                if (object(d, dAt)) {
                    allowOnly(d, dAt, "suite", "mirror");
                    String suite = matching(requiredText(d, dAt, "suite"), dAt + "/suite", SUITE,
                            "a suite or codename such as bookworm or noble");
                    String mirror = url(requiredText(d, dAt, "mirror"), dAt + "/mirror", false);
                    if (osName != null && !DEB_FAMILY.contains(osName)) {
                        add(dAt, Violation.NOT_ALLOWED, "debootstrap builds Debian and Ubuntu bases only, not " + osName);
                    }
                    base = new ImageSpec.Base(null, new ImageSpec.Debootstrap(suite, mirror), null, null);
                }
            } else if (node.has("tarball")) {
                String tAt = at + "/tarball";
                JsonNode t = node.get("tarball");
                if (object(t, tAt)) {
                    allowOnly(t, tAt, "url", "sha256");
                    String url = url(requiredText(t, tAt, "url"), tAt + "/url", true);
                    String sha256 = matching(requiredText(t, tAt, "sha256"), tAt + "/sha256", SHA256,
                            "a sha256 digest: 64 lowercase hex characters");
                    base = new ImageSpec.Base(null, null, new ImageSpec.Tarball(url, sha256), null);
                }
            } else {
                String iAt = at + "/image";
                JsonNode i = node.get("image");
                if (object(i, iAt)) {
                    allowOnly(i, iAt, "reference");
                    String reference = matching(requiredText(i, iAt, "reference"), iAt + "/reference", IMAGE_REFERENCE,
                            "an OCI image reference with its registry, such as ghcr.io/org/base:1.0 or ...@sha256:<digest>");
                    if (reference != null) {
                        allowedHost(reference.substring(0, reference.indexOf('/')).replaceFirst(":[0-9]+$", ""),
                                iAt + "/reference");
                    }
                    base = new ImageSpec.Base(null, null, null, new ImageSpec.ContainerImage(reference));
                }
            }
            if (base != null && !BUILDABLE_BASES.contains(base.kind())) {
                add(at + "/" + base.kind(), Violation.BASE_NOT_BUILDABLE, base.kind()
                        + " bases are valid but this installation's builder cannot start from them yet; "
                        + "buildable base kinds: " + sorted(BUILDABLE_BASES));
            }
            return base;
        }

        /** A URL whose host is allow-listed; {@code httpsOnly} for downloads verified only by their digest. */
        private String url(String value, String pointer, boolean httpsOnly) {
            if (value == null) {
                return null;
            }
            URI uri;
            try {
                uri = new URI(value);
            } catch (URISyntaxException e) {
                add(pointer, Violation.INVALID_FORMAT, "'" + abbreviate(value) + "' is not a URL");
                return null;
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            Set<String> schemes = httpsOnly ? Set.of("https") : Set.of("https", "http");
            if (!schemes.contains(scheme) || uri.getHost() == null) {
                add(pointer, Violation.INVALID_FORMAT, "must be an absolute " + (httpsOnly ? "https" : "http(s)")
                        + " URL with a host");
                return null;
            }
            if (uri.getRawUserInfo() != null) {
                add(pointer, Violation.NOT_ALLOWED, "must not carry credentials; workers get them from their configuration");
                return null;
            }
            return allowedHost(uri.getHost(), pointer) ? value : null;
        }

        private boolean allowedHost(String host, String pointer) {
            if (!hosts.allows(host)) {
                add(pointer, Violation.HOST_NOT_ALLOWED, "host '" + abbreviate(host) + "' is not in the allow-list "
                        + "(spec-service.allowed-hosts: " + hosts.allowed() + "); ask an operator to add a mirror");
                return false;
            }
            return true;
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

        List<ImageSpec.Target> targets(JsonNode node, String imageType, ImageSpec.OperatingSystem os,
                ImageSpec.Kubernetes kubernetes) {
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
                allowOnly(item, itemAt, "cloud", "format", "builder", "aws", "azure", "vsphere");
                String cloud = requiredText(item, itemAt, "cloud");
                if (cloud != null && !CLOUDS.contains(cloud)) {
                    add(itemAt + "/cloud", Violation.NOT_ALLOWED, "must be one of " + sorted(CLOUDS));
                    cloud = null;
                }
                for (String parameters : List.of("aws", "azure", "vsphere")) {
                    if (item.has(parameters) && cloud != null && !parameters.equals(cloud)) {
                        add(itemAt + "/" + parameters, Violation.NOT_ALLOWED,
                                parameters + " parameters belong to " + parameters + " targets, not " + cloud);
                    }
                }
                String format = optionalText(item, itemAt, "format");
                String builder = optionalText(item, itemAt, "builder");
                if (builder != null && !BUILDER_FORMATS.containsKey(builder)) {
                    add(itemAt + "/builder", Violation.NOT_ALLOWED, "must be one of " + sorted(BUILDER_FORMATS.keySet()));
                    builder = null;
                }
                ImageSpec.Aws aws = null;
                ImageSpec.Azure azure = null;
                ImageSpec.Vsphere vsphere = null;
                if (cloud != null) {
                    if (!clouds.add(cloud)) {
                        add(itemAt + "/cloud", Violation.DUPLICATE,
                                "cloud '" + cloud + "' is already a target; a spec has one target per cloud "
                                        + "because each target publishes its own pack");
                    }
                    List<String> formats = CLOUD_FORMATS.get(cloud);
                    if (format == null) {
                        format = formats.get(0);
                    } else if (!formats.contains(format)) {
                        add(itemAt + "/format", Violation.NOT_ALLOWED, "cloud '" + cloud + "' takes " + formats);
                        format = null;
                    }
                    if (builder == null && item.get("builder") == null) {
                        builder = IMAGE_BUILDER_BY_DEFAULT.contains(cloud) ? IMAGE_BUILDER : NATIVE;
                    }
                    aws = "aws".equals(cloud) ? aws(item.get("aws"), itemAt + "/aws") : null;
                    azure = "azure".equals(cloud) ? azure(item.get("azure"), itemAt + "/azure") : null;
                    vsphere = "vsphere".equals(cloud) ? vsphere(item.get("vsphere"), itemAt + "/vsphere", os, kubernetes)
                            : null;
                    if (format != null && builder != null) {
                        buildable(itemAt, cloud, format, builder, imageType, os);
                    }
                }
                targets.add(new ImageSpec.Target(cloud, format, builder, aws, azure, vsphere));
            }
            return targets;
        }

        /** A combination any builder could make is still refused when this installation cannot build it yet. */
        private void buildable(String at, String cloud, String format, String builder, String imageType,
                ImageSpec.OperatingSystem os) {
            if (!BUILDER_FORMATS.get(builder).contains(format)) {
                add(at + "/builder", Violation.NOT_ALLOWED, "the " + builder + " builder does not produce " + format
                        + " images; it produces " + sorted(BUILDER_FORMATS.get(builder)));
                return;
            }
            if ("fips".equals(imageType) && !IMAGE_BUILDER.equals(builder)) {
                add(at + "/builder", Violation.NOT_ALLOWED,
                        "fips images are built by image-builder (its FIPS branch); set builder: image-builder");
                return;
            }
            Set<String> buildable = buildableFormats.getOrDefault(builder, Set.of());
            if (!buildable.contains(format)) {
                add(at, Violation.TARGET_NOT_BUILDABLE, "a " + format + " image for " + cloud + " by the " + builder
                        + " builder is a valid target, but this installation cannot build it yet; buildable now: "
                        + new java.util.TreeMap<>(buildableFormats));
            } else if (IMAGE_BUILDER.equals(builder) && "fips".equals(imageType)) {
                add(at, Violation.TARGET_NOT_BUILDABLE,
                        "fips images need image-builder's FIPS branch, which the workers do not run yet");
            } else if (IMAGE_BUILDER.equals(builder) && os != null && os.name() != null
                    && !IMAGE_BUILDER_OS.contains(os.name())) {
                add(at + "/builder", Violation.NOT_ALLOWED, "Kubernetes Image Builder has no " + os.name()
                        + " builds; it builds " + sorted(IMAGE_BUILDER_OS));
            }
        }

        ImageSpec.Aws aws(JsonNode node, String at) {
            if (node == null) {
                add(at, Violation.REQUIRED, "aws targets need aws.regions: the regions the AMI is copied to");
                return null;
            }
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "regions");
            List<String> regions = uniqueTexts(required(node, at, "regions"), at + "/regions", 32, AWS_REGION,
                    "an AWS region such as eu-west-1");
            if (regions != null && regions.isEmpty()) {
                add(at + "/regions", Violation.REQUIRED, "at least one region is required");
            }
            return new ImageSpec.Aws(regions);
        }

        ImageSpec.Azure azure(JsonNode node, String at) {
            if (node == null) {
                add(at, Violation.REQUIRED, "azure targets need azure.storageLocation: the region the VHD is stored in");
                return null;
            }
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "storageLocation");
            return new ImageSpec.Azure(matching(requiredText(node, at, "storageLocation"), at + "/storageLocation",
                    AZURE_LOCATION, "an Azure location such as westeurope"));
        }

        ImageSpec.Vsphere vsphere(JsonNode node, String at, ImageSpec.OperatingSystem os, ImageSpec.Kubernetes kubernetes) {
            String folder = null;
            String templateName = null;
            if (node != null && object(node, at)) {
                allowOnly(node, at, "folder", "templateName");
                folder = matching(optionalText(node, at, "folder"), at + "/folder", VSPHERE_FOLDER,
                        "a vSphere folder path such as /Datacenter/vm/templates");
                if (folder != null && List.of(folder.split("/")).contains("..")) {
                    add(at + "/folder", Violation.INVALID_FORMAT, "must not contain '..' segments");
                    folder = null;
                }
                templateName = matching(optionalText(node, at, "templateName"), at + "/templateName", TEMPLATE_NAME,
                        "a template name starting with r_u- (Palette finds BYOOS OVAs by that prefix)");
            }
            if (templateName == null && os != null && os.name() != null && os.version() != null && kubernetes != null
                    && kubernetes.version() != null) {
                templateName = "r_u-" + os.name() + "-" + os.version().replace(".", "") + "-k-"
                        + kubernetes.version().replace(".", "");
            }
            return new ImageSpec.Vsphere(folder, templateName);
        }

        ImageSpec.Customizations customizations(JsonNode node, String osName) {
            String at = "/spec/customizations";
            if (!object(node, at)) {
                return null;
            }
            allowOnly(node, at, "packages", "files", "users", "sysctl", "kernelModules", "caCertificates", "scripts");
            Pattern packageGrammar = osName == null || DEB_FAMILY.contains(osName) ? DEB_PACKAGE : RPM_PACKAGE;
            List<String> packages = uniqueTexts(node.get("packages"), at + "/packages", MAX_PACKAGES, packageGrammar,
                    "a " + (packageGrammar == DEB_PACKAGE ? "Debian package name (optionally name=version)"
                            : "RPM package name") + " for " + (osName == null ? "the distribution" : osName));
            List<String> kernelModules = uniqueTexts(node.get("kernelModules"), at + "/kernelModules", MAX_KERNEL_MODULES,
                    KERNEL_MODULE, "a kernel module name such as br_netfilter");
            return new ImageSpec.Customizations(packages == null ? List.of() : packages, files(node.get("files")),
                    users(node.get("users")), sysctl(node.get("sysctl")),
                    kernelModules == null ? List.of() : kernelModules, caCertificates(node.get("caCertificates")),
                    scripts(node.get("scripts")));
        }

        List<ImageSpec.FileCustomization> files(JsonNode node) {
            String at = "/spec/customizations/files";
            Set<String> paths = new HashSet<>();
            return objects(node, at, MAX_FILES, List.of("path", "content", "mode", "owner"), (item, itemAt) -> {
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
                String owner = matching(optionalText(item, itemAt, "owner"), itemAt + "/owner", OWNER,
                        "user:group, as names or numeric ids, such as root:root or 1000:1000");
                return new ImageSpec.FileCustomization(path, content, mode == null ? "0644" : normaliseMode(mode),
                        owner == null ? "root:root" : owner);
            });
        }

        List<ImageSpec.User> users(JsonNode node) {
            String at = "/spec/customizations/users";
            Set<String> names = new HashSet<>();
            return objects(node, at, MAX_USERS, List.of("name", "groups", "sshAuthorizedKeys"), (item, itemAt) -> {
                String name = matching(requiredText(item, itemAt, "name"), itemAt + "/name", POSIX_NAME,
                        "a user name: lowercase letters, digits, '_' and '-', starting with a letter or '_'");
                if (name != null && RESERVED_USERS.contains(name)) {
                    add(itemAt + "/name", Violation.NOT_ALLOWED, name + " exists in every image and cannot be redefined");
                } else if (name != null && !names.add(name)) {
                    add(itemAt + "/name", Violation.DUPLICATE, "user " + name + " is already defined");
                }
                List<String> groups = uniqueTexts(item.get("groups"), itemAt + "/groups", 32, POSIX_NAME,
                        "a group name: lowercase letters, digits, '_' and '-'");
                List<String> keys = new ArrayList<>();
                JsonNode keysNode = item.get("sshAuthorizedKeys");
                if (list(keysNode, itemAt + "/sshAuthorizedKeys", MAX_KEYS_PER_USER)) {
                    for (int k = 0; k < keysNode.size(); k++) {
                        String keyAt = itemAt + "/sshAuthorizedKeys/" + k;
                        String key = text(keysNode.get(k), keyAt);
                        String problem = key == null ? null : SshPublicKeys.problem(key);
                        if (problem != null) {
                            add(keyAt, Violation.INVALID_FORMAT, problem);
                        } else if (key != null) {
                            keys.add(key);
                        }
                    }
                }
                return new ImageSpec.User(name, groups == null ? List.of() : groups, keys);
            });
        }

        Map<String, String> sysctl(JsonNode node) {
            String at = "/spec/customizations/sysctl";
            // Sorted by key: the stored canonical spec sorts map keys, so every build of it applies them alike.
            Map<String, String> sysctl = new java.util.TreeMap<>();
            if (node == null || !object(node, at)) {
                return sysctl;
            }
            if (node.size() > MAX_SYSCTL) {
                add(at, Violation.TOO_LARGE, "at most " + MAX_SYSCTL + " kernel parameters");
            }
            node.fields().forEachRemaining(entry -> {
                String pointer = at + "/" + escape(entry.getKey());
                boolean keyOk = SYSCTL_KEY.matcher(entry.getKey()).matches();
                if (!keyOk) {
                    add(pointer, Violation.INVALID_FORMAT, "'" + abbreviate(entry.getKey())
                            + "' is not a kernel parameter name such as net.ipv4.ip_forward");
                }
                JsonNode value = entry.getValue();
                if (!(value.isTextual() || value.isNumber() || value.isBoolean())) {
                    add(pointer, Violation.WRONG_TYPE, "must be a string or a number");
                } else if (!SYSCTL_VALUE.matcher(value.asText()).matches()) {
                    add(pointer, Violation.INVALID_FORMAT, "values are one line of letters, digits, spaces and ._:/,+-");
                } else if (keyOk) {
                    sysctl.put(entry.getKey(), value.isBoolean() ? (value.asBoolean() ? "1" : "0") : value.asText());
                }
            });
            return sysctl;
        }

        List<ImageSpec.CaCertificate> caCertificates(JsonNode node) {
            String at = "/spec/customizations/caCertificates";
            Set<String> names = new HashSet<>();
            return objects(node, at, MAX_CA_CERTIFICATES, List.of("name", "pem"), (item, itemAt) -> {
                String name = matching(requiredText(item, itemAt, "name"), itemAt + "/name", DNS_LABEL,
                        "a DNS-1123 label; the certificate is stored as <name>.crt");
                if (name != null && !names.add(name)) {
                    add(itemAt + "/name", Violation.DUPLICATE, "another certificate is already named " + name);
                }
                String pem = requiredText(item, itemAt, "pem");
                if (pem != null && pem.length() > MAX_CERTIFICATE_BYTES) {
                    add(itemAt + "/pem", Violation.TOO_LARGE, "at most " + MAX_CERTIFICATE_BYTES + " bytes");
                } else if (pem != null) {
                    String problem = PemCertificates.problem(pem, clock);
                    if (problem != null) {
                        add(itemAt + "/pem", Violation.INVALID_FORMAT, problem);
                    }
                }
                return new ImageSpec.CaCertificate(name, pem);
            });
        }

        List<ImageSpec.Script> scripts(JsonNode node) {
            String at = "/spec/customizations/scripts";
            Set<String> names = new HashSet<>();
            return objects(node, at, MAX_SCRIPTS, List.of("name", "stage", "content", "timeout"), (item, itemAt) -> {
                String name = matching(requiredText(item, itemAt, "name"), itemAt + "/name", DNS_LABEL,
                        "a DNS-1123 label naming the script in the build log");
                if (name != null && !names.add(name)) {
                    add(itemAt + "/name", Violation.DUPLICATE, "another script is already named " + name);
                }
                String stage = requiredText(item, itemAt, "stage");
                if (stage != null && !SCRIPT_STAGES.contains(stage)) {
                    add(itemAt + "/stage", Violation.NOT_ALLOWED, "must be pre (before the other customizations) "
                            + "or post (after them)");
                }
                String content = requiredText(item, itemAt, "content");
                if (content != null && content.getBytes(StandardCharsets.UTF_8).length > MAX_SCRIPT_BYTES) {
                    add(itemAt + "/content", Violation.TOO_LARGE, "scripts are limited to " + MAX_SCRIPT_BYTES + " bytes");
                } else if (content != null && content.indexOf('\0') >= 0) {
                    add(itemAt + "/content", Violation.INVALID_FORMAT, "must not contain NUL characters");
                }
                int timeoutSeconds = DEFAULT_SCRIPT_TIMEOUT_SECONDS;
                String timeout = matching(optionalText(item, itemAt, "timeout"), itemAt + "/timeout", TIMEOUT,
                        "a duration in seconds or minutes such as 90s or 10m");
                if (timeout != null) {
                    int amount = Integer.parseInt(timeout.substring(0, timeout.length() - 1));
                    timeoutSeconds = timeout.endsWith("m") ? amount * 60 : amount;
                    if (timeoutSeconds > MAX_SCRIPT_TIMEOUT_SECONDS) {
                        add(itemAt + "/timeout", Violation.TOO_LARGE, "at most " + MAX_SCRIPT_TIMEOUT_SECONDS / 60
                                + "m: a script that runs longer belongs in the base image");
                    }
                }
                return new ImageSpec.Script(name, stage, content, timeoutSeconds);
            });
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

        /**
         * Checks a list of objects: its type and size, each item's type and fields, then {@code item}
         * turns each object (with its pointer) into a model value.
         */
        private <T> List<T> objects(JsonNode node, String at, int max, List<String> fields,
                java.util.function.BiFunction<JsonNode, String, T> item) {
            List<T> values = new ArrayList<>();
            if (!list(node, at, max)) {
                return values;
            }
            for (int i = 0; i < node.size(); i++) {
                String itemAt = at + "/" + i;
                JsonNode itemNode = node.get(i);
                if (object(itemNode, itemAt)) {
                    allowOnly(itemNode, itemAt, fields.toArray(String[]::new));
                    values.add(item.apply(itemNode, itemAt));
                }
            }
            return values;
        }

        /** @return whether {@code node} is a list to check (absent is fine and returns false) */
        private boolean list(JsonNode node, String at, int max) {
            if (node == null || node.isNull()) {
                return false;
            }
            if (!node.isArray()) {
                add(at, Violation.WRONG_TYPE, "must be a list");
                return false;
            }
            if (node.size() > max) {
                add(at, Violation.TOO_LARGE, "at most " + max + " entries");
            }
            return true;
        }

        /** A list of distinct strings each matching {@code pattern}; null when absent. */
        private List<String> uniqueTexts(JsonNode node, String at, int max, Pattern pattern, String expected) {
            if (!list(node, at, max)) {
                return null;
            }
            List<String> values = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                String value = matching(text(node.get(i), at + "/" + i), at + "/" + i, pattern, expected);
                if (value != null && values.contains(value)) {
                    add(at + "/" + i, Violation.DUPLICATE, "'" + abbreviate(value) + "' is listed twice");
                } else if (value != null) {
                    values.add(value);
                }
            }
            return values;
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
