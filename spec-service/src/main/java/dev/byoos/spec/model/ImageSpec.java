package dev.byoos.spec.model;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.byoos.contract.BuildRequested.CaCertificate;
import dev.byoos.contract.BuildRequested.Debootstrap;
import dev.byoos.contract.BuildRequested.FileCustomization;
import dev.byoos.contract.BuildRequested.Kubernetes;
import dev.byoos.contract.BuildRequested.Script;
import dev.byoos.contract.BuildRequested.Tarball;
import dev.byoos.contract.BuildRequested.User;

/**
 * An image spec ({@code apiVersion: byoos.dev/v1alpha1}, {@code kind: ImageSpec}) after validation
 * and defaulting. Instances are only built from documents that {@code SpecValidator} accepted, so
 * the fields below are present and well-formed. docs/spec-reference.md documents every field.
 *
 * <p>The parts a build request carries unchanged (base details, Kubernetes components and the
 * customizations) are the contract's own {@link dev.byoos.contract.BuildRequested} records, so a
 * spec's shape and the event's shape cannot drift apart; the property names, and so the stored
 * canonical JSON and its digest, are the same as they always were.
 */
public record ImageSpec(String apiVersion, String kind, Metadata metadata, Spec spec) {

    public static final String API_VERSION = "byoos.dev/v1alpha1";
    public static final String KIND = "ImageSpec";

    public record Metadata(String name, String team, Map<String, String> labels, String description) {
    }

    /**
     * @param imageType {@code standard} or {@code fips}
     * @param updates   what the input watcher does on a changed input; null when the spec has no
     *                  {@code updates} (nothing is watched), left out of the stored JSON then, so the
     *                  digests of specs stored before the field existed stay what they were
     */
    public record Spec(OperatingSystem os, Kubernetes kubernetes, String imageType, List<Target> targets,
            Customizations customizations, Pack pack, @JsonInclude(JsonInclude.Include.NON_NULL) Updates updates) {
    }

    /**
     * What the input watcher ({@code InputWatcher}) does when one of the spec's inputs changes.
     *
     * @param base              {@link #NONE}, {@link #NOTIFY} or {@link #REBUILD}: on a change of the
     *                          debootstrap suite's Release file
     * @param kubernetesPatches the same, on a higher patch release of the spec's Kubernetes minor
     */
    public record Updates(String base, String kubernetesPatches) {

        public static final String NONE = "none";
        public static final String NOTIFY = "notify";
        public static final String REBUILD = "rebuild";
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

    /** @param reference an OCI image reference whose root filesystem is the base */
    public record ContainerImage(String reference) {
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

    /** @param templateName the template's name in vCenter once the OVA is imported (any vCenter name; default r_u-...) */
    public record Vsphere(String folder, String templateName) {
    }

    public record Customizations(List<String> packages, List<FileCustomization> files, List<User> users,
            Map<String, String> sysctl, List<String> kernelModules, List<CaCertificate> caCertificates,
            List<Script> scripts) {

        public static Customizations none() {
            return new Customizations(List.of(), List.of(), List.of(), Map.of(), List.of(), List.of(), List.of());
        }
    }

    /**
     * @param versionPolicy {@code patch}, {@code minor}, or null (none): how a rebuild the factory
     *                      starts itself numbers the next pack version ({@code PackVersionPolicy}).
     *                      Left out of the stored JSON when absent, so the digests of specs stored
     *                      before the field existed stay what they were
     */
    public record Pack(String name, String version, String displayName,
            @JsonInclude(JsonInclude.Include.NON_NULL) String versionPolicy) {

        public Pack withVersion(String next) {
            return new Pack(name, next, displayName, versionPolicy);
        }
    }
}
