package dev.byoos.spec.model;

import java.util.List;
import java.util.Map;

/**
 * An image spec ({@code apiVersion: byoos.dev/v1alpha1}, {@code kind: ImageSpec}) after validation
 * and defaulting. Instances are only built from documents that {@code SpecValidator} accepted, so
 * the fields below are present and well-formed. docs/spec-reference.md documents every field.
 */
public record ImageSpec(String apiVersion, String kind, Metadata metadata, Spec spec) {

    public static final String API_VERSION = "byoos.dev/v1alpha1";
    public static final String KIND = "ImageSpec";

    public record Metadata(String name, String team, Map<String, String> labels, String description) {
    }

    /** @param imageType {@code standard} or {@code fips} */
    public record Spec(OperatingSystem os, Kubernetes kubernetes, String imageType, List<Target> targets,
            Customizations customizations, Pack pack) {
    }

    public record OperatingSystem(String name, String version, Base base) {
    }

    /** Exactly one of the fields is set. */
    public record Base(String local, Debootstrap debootstrap, Tarball tarball, ContainerImage image) {

        /** @return the kind of base: {@code local}, {@code debootstrap}, {@code tarball} or {@code image} */
        public String kind() {
            return local != null ? "local" : debootstrap != null ? "debootstrap" : tarball != null ? "tarball" : "image";
        }
    }

    public record Debootstrap(String suite, String mirror) {
    }

    public record Tarball(String url, String sha256) {
    }

    /** @param reference an OCI image reference whose root filesystem is the base */
    public record ContainerImage(String reference) {
    }

    /** Kubernetes and the components installed with it; component versions default from the support matrix. */
    public record Kubernetes(String version, String containerd, String cni, String crictl) {
    }

    /**
     * @param builder {@code native} or {@code image-builder}
     * @param aws     set only for aws targets; likewise {@code azure} and {@code vsphere}
     */
    public record Target(String cloud, String format, String builder, Aws aws, Azure azure, Vsphere vsphere) {
    }

    public record Aws(List<String> regions) {
    }

    public record Azure(String storageLocation) {
    }

    /** @param templateName the OVA/template name; Palette expects the {@code r_u-} prefix */
    public record Vsphere(String folder, String templateName) {
    }

    public record Customizations(List<String> packages, List<FileCustomization> files, List<User> users,
            Map<String, String> sysctl, List<String> kernelModules, List<CaCertificate> caCertificates,
            List<Script> scripts) {

        public static Customizations none() {
            return new Customizations(List.of(), List.of(), List.of(), Map.of(), List.of(), List.of(), List.of());
        }
    }

    /** @param owner {@code user:group}; names resolve in the image */
    public record FileCustomization(String path, String content, String mode, String owner) {
    }

    public record User(String name, List<String> groups, List<String> sshAuthorizedKeys) {
    }

    public record CaCertificate(String name, String pem) {
    }

    /** @param stage {@code pre} (before the other customizations) or {@code post} (after them) */
    public record Script(String name, String stage, String content, int timeoutSeconds) {
    }

    public record Pack(String name, String version, String displayName) {
    }
}
