package dev.byoos.worker.builder.imagebuilder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;

/** What Packer manifests say, per cloud, and which manifests say nothing usable. */
class PackerManifestTest {

    static BuildRequested request(String cloud, String format, String os, String version,
            BuildRequested.CloudParameters parameters) {
        return new BuildRequested(new BuildCoordinates("b-1", "platform", "node", 1, "ab".repeat(32),
                new BuildCoordinates.OperatingSystem(os, version), "v1.31.2",
                new BuildCoordinates.Target(cloud, format), new BuildCoordinates.Pack("node", "1.0.0", "Node")),
                new BuildRequested.BaseImage("unused"), List.of(), BuildRequested.STANDARD, List.of(), null, null, null,
                null, null, BuildRequested.IMAGE_BUILDER, parameters, null);
    }

    private static String manifest(String... builds) {
        return "{\"builds\": [" + String.join(",", builds) + "], \"last_run_uuid\": \"run-2\"}";
    }

    private static String build(String run, String builderType, String artifactId) {
        return "{\"name\": \"n\", \"builder_type\": \"" + builderType + "\", \"artifact_id\": \"" + artifactId
                + "\", \"packer_run_uuid\": \"" + run + "\", \"custom_data\": {}}";
    }

    @Test
    void anAmiPerRegionFromTheLastRunOnly() {
        String manifest = manifest(build("run-1", "amazon-ebs", "us-east-1:ami-0old"),
                build("run-2", "amazon-ebs", "us-east-1:ami-0abc,eu-west-1:ami-0def"));
        assertEquals(List.of(new CloudImage("aws", "us-east-1", "ami-0abc"), new CloudImage("aws", "eu-west-1", "ami-0def")),
                PackerManifest.cloudImages(manifest, request("aws", "ami", "ubuntu", "22.04",
                        new BuildRequested.CloudParameters(List.of("us-east-1", "eu-west-1"), null, null, null))));
    }

    @Test
    void aVhdIsItsUrlInTheStorageLocation() {
        String url = "https://capi.blob.core.windows.net/cluster-api-vhds/ubuntu-2204.vhd";
        assertEquals(List.of(new CloudImage("azure", "westeurope", url)),
                PackerManifest.cloudImages(manifest(build("run-2", "azure-arm", url)), request("azure", "vhd", "ubuntu",
                        "22.04", new BuildRequested.CloudParameters(null, "westeurope", null, null))));
    }

    @Test
    void aTemplateIsItsPathInTheFolder() {
        assertEquals(List.of(new CloudImage("vsphere", null, "/dc1/vm/templates/rhel-8-kube-v1.31.2")),
                PackerManifest.cloudImages(manifest(build("run-2", "vsphere-iso", "rhel-8-kube-v1.31.2")),
                        request("vsphere", "ova", "rhel", "8.8",
                                new BuildRequested.CloudParameters(null, null, "/dc1/vm/templates/", null))));
    }

    @Test
    void aManifestThatNamesNoImageIsRefused() {
        BuildRequested aws = request("aws", "ami", "ubuntu", "22.04",
                new BuildRequested.CloudParameters(List.of("us-east-1"), null, null, null));
        for (String manifest : List.of("not json", "{}", "{\"builds\": []}", manifest(build("run-2", "amazon-ebs", "")),
                manifest(build("run-2", "amazon-ebs", "ami-0abc")))) {
            BuildException refused = assertThrows(BuildException.class, () -> PackerManifest.cloudImages(manifest, aws),
                    manifest);
            assertEquals("PACKER_MANIFEST_INVALID", refused.code());
            assertTrue(refused.getMessage().startsWith("image-builder finished, but its Packer manifest names no image"));
        }
    }

    @Test
    void makeTargetsFollowImageBuildersNames() {
        assertEquals("build-ami-ubuntu-2204", ImageBuilderTarget.of(request("aws", "ami", "ubuntu", "22.04",
                BuildRequested.CloudParameters.NONE).build()).makeTarget());
        assertEquals("build-azure-vhd-rhel-8", ImageBuilderTarget.of(request("azure", "vhd", "rhel", "8.8",
                BuildRequested.CloudParameters.NONE).build()).makeTarget());
        assertEquals("build-node-ova-vsphere-rockylinux-9", ImageBuilderTarget.of(request("vsphere", "ova",
                "rockylinux", "9", BuildRequested.CloudParameters.NONE).build()).makeTarget());
        BuildException debian = assertThrows(BuildException.class, () -> ImageBuilderTarget.of(request("aws", "ami",
                "debian", "12", BuildRequested.CloudParameters.NONE).build()));
        assertEquals("OS_NOT_SUPPORTED", debian.code());
        assertEquals(BuildException.Kind.BAD_INPUT, debian.kind());
    }

    @Test
    void rpmDistributionsGetTheirPackagesAsExtraRpms() {
        BuildRequested rhel = new BuildRequested(request("vsphere", "ova", "rhel", "9", BuildRequested.CloudParameters.NONE)
                .build(), new BuildRequested.BaseImage("unused"), List.of(), BuildRequested.STANDARD, List.of("tmux"),
                null, null, null, null, null, BuildRequested.IMAGE_BUILDER,
                new BuildRequested.CloudParameters(null, null, "/dc1/vm", null), null);
        var variables = PackerVariables.of(rhel, ImageBuilderTarget.of(rhel.build()), java.nio.file.Path.of("/m.json"));
        assertEquals("tmux", variables.get("extra_rpms"));
        assertEquals("1.31.2", variables.get("kubernetes_rpm_version"));
        assertEquals("/dc1/vm", variables.get("folder"));
        assertEquals("true", variables.get("convert_to_template"));
    }

    @Test
    void theComponentVersionsOfTheRequestAreImageBuildersVariables() {
        BuildRequested plain = request("aws", "ami", "ubuntu", "22.04",
                new BuildRequested.CloudParameters(List.of("us-east-1"), null, null, null));
        BuildRequested withComponents = new BuildRequested(plain.build(), plain.base(), List.of(), BuildRequested.STANDARD,
                List.of(), null, null, null, null, null, BuildRequested.IMAGE_BUILDER, plain.cloud(),
                new BuildRequested.Kubernetes("1.31.2", "1.7.13", "1.3.0", "1.28.0"));
        var variables = PackerVariables.of(withComponents, ImageBuilderTarget.of(withComponents.build()),
                java.nio.file.Path.of("/m.json"));
        assertEquals("1.7.13", variables.get("containerd_version"));
        assertEquals("1.28.0", variables.get("crictl_version"));
        assertEquals("v1.3.0", variables.get("kubernetes_cni_semver"));
        assertEquals("1.3.0-1.1", variables.get("kubernetes_cni_deb_version"));
        assertEquals("1.3.0", variables.get("kubernetes_cni_rpm_version"));

        var defaults = PackerVariables.of(plain, ImageBuilderTarget.of(plain.build()), java.nio.file.Path.of("/m.json"));
        assertFalse(defaults.containsKey("containerd_version"), "a request from before the versions: image-builder's own");
    }

    @Test
    void anAmiWithoutRegionsIsRefusedBeforeAnythingRuns() {
        BuildRequested aws = request("aws", "ami", "ubuntu", "22.04", BuildRequested.CloudParameters.NONE);
        BuildException refused = assertThrows(BuildException.class,
                () -> PackerVariables.of(aws, ImageBuilderTarget.of(aws.build()), java.nio.file.Path.of("/m.json")));
        assertEquals("MISSING_CLOUD_PARAMETERS", refused.code());
    }
}
