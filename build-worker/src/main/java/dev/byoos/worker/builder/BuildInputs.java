package dev.byoos.worker.builder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.format.OciImageFormat;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesRelease;
import dev.byoos.worker.builder.layers.ImageCustomizer;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Everything a native build's output is made of, each part content-hashed: the base and every
 * customization layer. The parts are the provenance's inputs; together with the builder's version
 * and the target they make the image's content key, under which {@link ImageCache} keeps the
 * finished image.
 *
 * @param inputs   the base first (a debootstrap base followed by its suite's Release file), then the layers in the order they are applied (the Kubernetes
 *                 layer followed by each of its release artifacts), then the source date epoch
 *                 ({@code source-date-epoch:<seconds>}, its sha256 that of the decimal seconds): the
 *                 one time of every file and timestamp in the image
 * @param installKey sha256 over the builder version, the base and the installing layers (pre
 *                 scripts, Kubernetes components, packages) and the OS: the tree after those layers,
 *                 kept by {@link TreeCache} so a change to a later layer does not run them again
 * @param treeKey  sha256 over the builder version, every input and the OS: the customized root
 *                 filesystem (and its SBOM), whatever the target; the key of {@link TreeCache}
 * @param imageKey sha256 over the tree key, the target and the boot test setting: the finished image
 */
public record BuildInputs(List<BuildCompleted.Input> inputs, String installKey, String treeKey, String imageKey) {

    /** The last of the layers that run programs in the tree; the installed tree is kept after it. */
    static final String LAST_INSTALLING_LAYER = "layer:packages";

    /**
     * Raised whenever a change to the builder changes what the same inputs produce (the layout, a
     * tool's options), so that images cached by earlier code are not served for the new code.
     */
    static final int OUTPUT_VERSION = 5;

    /** The layers in the order {@link ImageCustomizer} applies them, each with what it is made of. */
    static Map<String, Object> layers(BuildRequested request, Optional<KubernetesComponentSource.Components> kubernetes) {
        List<BuildRequested.Script> pre = request.scripts().stream()
                .filter(script -> ImageCustomizer.PRE.equals(script.stage())).toList();
        List<BuildRequested.Script> post = request.scripts().stream()
                .filter(script -> ImageCustomizer.POST.equals(script.stage())).toList();
        Map<String, Object> layers = new LinkedHashMap<>();
        layers.put("pre-scripts", pre);
        layers.put("kubernetes-components", kubernetes.map(BuildInputs::kubernetesLayer).orElse(null));
        layers.put("packages", request.packages());
        layers.put("users", request.users());
        layers.put("files", request.files());
        layers.put("sysctl", request.sysctl());
        layers.put("kernel-modules", request.kernelModules());
        layers.put("ca-certificates", request.caCertificates());
        layers.put("post-scripts", post);
        return layers;
    }

    /**
     * @param base           the base, already hashed ({@link #localBase}, {@link #debootstrapBase},
     *                       {@link #tarballBase}): one input, or a debootstrap base and its Release file
     * @param builderVersion the worker's version and the builder's id: a new worker never serves an older one's images
     * @param bootTested     whether the boot test is on: a cached image keeps the boot outcome it was built with
     */
    public static BuildInputs of(BuildRequested request, List<BuildCompleted.Input> base,
            Optional<KubernetesComponentSource.Components> kubernetes, String builderVersion, boolean bootTested) {
        List<BuildCompleted.Input> inputs = new ArrayList<>(base);
        layers(request, kubernetes).forEach((name, content) -> {
            inputs.add(new BuildCompleted.Input("layer:" + name, Sha256.of(EventJson.write(content)), null));
            if ("kubernetes-components".equals(name)) {
                // Each release artifact is an input of its own: the provenance names where it came from.
                kubernetes.ifPresent(components -> components.artifacts().forEach(fetched -> inputs.add(
                        new BuildCompleted.Input("kubernetes:" + fetched.artifact().component(), fetched.sha256(),
                                fetched.source()))));
            }
        });
        inputs.add(sourceDateEpoch());
        var build = request.build();
        List<BuildCompleted.Input> installing = inputs.subList(0,
                inputs.indexOf(inputs.stream().filter(input -> input.name().equals(LAST_INSTALLING_LAYER)).findFirst()
                        .orElseThrow()) + 1);
        String installKey = treeKey("byoos installed tree", installing, builderVersion, request);
        String treeKey = treeKey("byoos customized tree", inputs, builderVersion, request);
        // The OS and Kubernetes versions name OVA templates and describe the image in its OVF descriptor.
        StringBuilder image = new StringBuilder("byoos native image\ntree=").append(treeKey)
                .append("\ntarget=").append(build.target().cloud()).append('/').append(build.target().format())
                .append("\nos=").append(build.os().name()).append(' ').append(build.os().version())
                .append("\nkubernetes=").append(build.kubernetesVersion())
                .append("\nboot-test=").append(bootTested).append('\n');
        if (request.cloud().vsphereTemplateName() != null) {
            // An OVA's files and its descriptor are named after the template.
            image.append("vsphere-template=").append(request.cloud().vsphereTemplateName()).append('\n');
        }
        if (OciImageFormat.NAME.equals(build.target().format())) {
            // An OCI image's config names its spec and build (labels), so it is this build's alone.
            image.append("labels=").append(build.team()).append('/').append(build.specName()).append('@')
                    .append(build.specVersion()).append(' ').append(build.specDigest()).append(' ')
                    .append(build.buildId()).append(' ').append(build.pack().name()).append(':')
                    .append(build.pack().version()).append(' ').append(build.pack().displayName()).append('\n');
        }
        return new BuildInputs(List.copyOf(inputs), installKey, treeKey, Sha256.of(image.toString()));
    }

    /** The ids and the one time of everything made from this tree: the same for the same tree key. */
    public Reproducibility reproducibility() {
        return Reproducibility.of(treeKey);
    }

    /** The time every output holds, recorded with the inputs (the provenance shows it) and part of every key. */
    private static BuildCompleted.Input sourceDateEpoch() {
        String seconds = String.valueOf(Reproducibility.SOURCE_DATE_EPOCH.getEpochSecond());
        return new BuildCompleted.Input("source-date-epoch:" + seconds, Sha256.of(seconds), null);
    }

    private static String treeKey(String what, List<BuildCompleted.Input> inputs, String builderVersion,
            BuildRequested request) {
        StringBuilder tree = new StringBuilder(what).append("\nbuilder=").append(builderVersion)
                .append("\noutput-version=").append(OUTPUT_VERSION);
        inputs.forEach(input -> tree.append('\n').append(input.name()).append('=').append(input.sha256()));
        // The OS is in the SBOM kept with the tree; the image type decides which layers apply.
        tree.append("\nimage-type=").append(request.imageType()).append("\nos=").append(request.build().os().name())
                .append(' ').append(request.build().os().version()).append('\n');
        return Sha256.of(tree.toString());
    }

    /**
     * The Kubernetes layer is what is installed: the versions, the architecture and every
     * artifact's sha256, so a mirror file with other bytes makes another image.
     */
    private static Map<String, Object> kubernetesLayer(KubernetesComponentSource.Components components) {
        KubernetesRelease release = components.release();
        Map<String, Object> layer = new LinkedHashMap<>();
        layer.put("kubernetes", release.kubernetes());
        layer.put("containerd", release.containerd());
        layer.put("cni", release.cni());
        layer.put("crictl", release.crictl());
        layer.put("arch", release.arch());
        for (KubernetesComponentSource.Fetched fetched : components.artifacts()) {
            layer.put(fetched.artifact().path(), fetched.sha256());
        }
        return layer;
    }

    /**
     * A debootstrap base is known by its cache key: what it is made from, not its (unreproducible)
     * bytes. The suite's Release file it was made after is an input of its own, so the provenance
     * names the state of the suite.
     */
    static List<BuildCompleted.Input> debootstrapBase(DebootstrapBases.Suite suite) {
        return List.of(new BuildCompleted.Input("base:debootstrap/" + suite.suite(), suite.key(), suite.mirror()),
                new BuildCompleted.Input("base:debootstrap/" + suite.suite() + "/release", suite.release().sha256(),
                        suite.release().url()));
    }

    /** A tarball base is known by its pinned digest: the worker refuses any archive with another. */
    static BuildCompleted.Input tarballBase(BuildRequested.Tarball base) {
        return new BuildCompleted.Input("base:tarball/" + base.url(), base.sha256(), base.url());
    }

    /**
     * A local base is known by its content: a tar archive by its bytes, a directory by every
     * entry's path, type, owner, mode and content (or link target, or device number).
     */
    static BuildCompleted.Input localBase(Path basesDir, String name) {
        Path base = RootFilesystem.locateBase(basesDir, name);
        String sha256 = Files.isDirectory(base) ? Sha256.ofTree(base) : Sha256.of(base);
        return new BuildCompleted.Input("base:local/" + name, sha256, null);
    }
}
