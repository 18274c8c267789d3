package io.github.libvirthooks.features.isolcpu;

import io.github.libvirthooks.features.engine.ClaimCodec;
import io.github.libvirthooks.features.isolcpu.IsolcpuOptions.Backend;
import io.github.libvirthooks.sysfs.cgroup.CpusetPartition;
import io.github.libvirthooks.sysfs.cpu.CpuSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One VM's share of the host's CPU isolation: its CPUs, how the host is confined, what it asks
 * for, and the original value of every setting it touched (copied from the VMs already running,
 * read from the host for the first), so that whichever VM releases last can put them back.
 *
 * @param cpus      the VM's CPUs
 * @param backend   systemd or cgroup (never auto: resolved before the claim)
 * @param groups    the knob groups this VM asks for; slices always
 * @param partition the partition type this VM asks for, if any
 * @param originals each touched setting's value before any VM isolated CPUs, in the form
 *                  {@link KnobFiles} reads and writes, in apply order
 */
record IsolcpuClaim(CpuSet cpus, Backend backend, Set<Knob.Group> groups, Optional<CpusetPartition> partition,
        Map<Knob, String> originals) {
    /** The codec the engine and {@link IsolcpuFeature} use. */
    static final Codec CODEC = new Codec();
    /** The one resource an isolcpu claim is on. */
    static final String RESOURCE = "cpus";

    IsolcpuClaim {
        if (backend == Backend.AUTO) {
            throw new IllegalArgumentException("a claim holds the backend in use, not auto");
        }
        EnumSet<Knob.Group> all = EnumSet.of(Knob.Group.SLICES);
        all.addAll(groups);
        groups = Collections.unmodifiableSet(all);
        originals = Collections.unmodifiableMap(new TreeMap<>(originals));
    }

    /** The same claim without one group (a partition the kernel refused; the type asked for stays on record). */
    IsolcpuClaim without(Knob.Group group) {
        EnumSet<Knob.Group> kept = EnumSet.copyOf(groups);
        kept.remove(group);
        return new IsolcpuClaim(cpus, backend, kept, partition, originals);
    }

    /**
     * The journal form. These keys are the ones release 1 wrote (format 1): {@code cpus},
     * {@code backend}, {@code groups}, {@code partition} and one {@code orig:KIND:TARGET} per
     * setting; journals from that release decode and undo unchanged.
     */
    static final class Codec implements ClaimCodec<IsolcpuClaim> {
        private static final String ORIGINAL_PREFIX = "orig:";

        private Codec() {
        }

        @Override
        public String feature() {
            return IsolcpuFeature.NAME;
        }

        @Override
        public String resource(IsolcpuClaim claim) {
            return RESOURCE;
        }

        @Override
        public Map<String, String> encode(IsolcpuClaim claim) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("cpus", claim.cpus().toList());
            values.put("backend", claim.backend().word());
            values.put("groups", words(claim.groups()));
            claim.partition().ifPresent(p -> values.put("partition", p.kernelName()));
            claim.originals().forEach((knob, value) -> values.put(ORIGINAL_PREFIX + knob.kind().word() + ":" + knob.target(), value));
            return values;
        }

        @Override
        public IsolcpuClaim decode(String resource, Map<String, String> values) {
            if (!resource.equals(RESOURCE)) {
                throw new IllegalArgumentException("isolcpu claims are on '" + RESOURCE + "', not '" + resource + "'");
            }
            CpuSet cpus = CpuSet.parseList(ClaimCodec.required(values, "cpus"));
            // Release 1 always wrote the backend; its absence meant cgroup in that release's reader too.
            Backend backend = switch (values.getOrDefault("backend", "cgroup")) {
                case "cgroup" -> Backend.CGROUP;
                case "systemd" -> Backend.SYSTEMD;
                default -> throw new IllegalArgumentException("backend '" + values.get("backend") + "' is neither systemd nor cgroup");
            };
            Set<Knob.Group> groups = EnumSet.of(Knob.Group.SLICES);
            for (String word : values.getOrDefault("groups", "").split(",", -1)) {
                if (!word.isEmpty()) {
                    groups.add(Knob.Group.fromWord(word).orElseThrow(() -> new IllegalArgumentException("unknown group '" + word + "'")));
                }
            }
            Optional<CpusetPartition> partition = Optional.ofNullable(values.get("partition")).map(word -> CpusetPartition
                    .fromKernelName(word).filter(p -> p != CpusetPartition.MEMBER)
                    .orElseThrow(() -> new IllegalArgumentException("partition '" + word + "' is neither isolated nor root")));
            Map<Knob, String> originals = new TreeMap<>();
            for (Map.Entry<String, String> e : values.entrySet()) {
                String key = e.getKey();
                if (key.startsWith(ORIGINAL_PREFIX)) {
                    Knob knob = knob(key.substring(ORIGINAL_PREFIX.length()));
                    originals.put(knob, KnobFiles.checkValue(knob, e.getValue()));
                } else if (!Set.of("cpus", "backend", "groups", "partition").contains(key)) {
                    throw new IllegalArgumentException("unknown value '" + key + "'");
                }
            }
            return new IsolcpuClaim(cpus, backend, groups, partition, originals);
        }

        /** What {@code status} shows: the VM's CPUs, its choices, and the original of each setting by its user-facing name. */
        @Override
        public Map<String, String> describe(IsolcpuClaim claim) {
            Map<String, String> shown = new LinkedHashMap<>();
            shown.put("cpus", claim.cpus().toList());
            shown.put("backend", claim.backend().word());
            shown.put("isolates", words(claim.groups()));
            claim.partition().ifPresent(p -> shown.put("partition", p.kernelName()));
            claim.originals().forEach((knob, value) -> shown.put("original " + knob.describe(), value));
            return shown;
        }

        private static Knob knob(String kindAndTarget) {
            int colon = kindAndTarget.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("'" + ORIGINAL_PREFIX + kindAndTarget + "' names no setting");
            }
            String word = kindAndTarget.substring(0, colon);
            Knob.Kind kind = Knob.Kind.fromWord(word).orElseThrow(() -> new IllegalArgumentException("unknown setting kind '" + word + "'"));
            return new Knob(kind, kindAndTarget.substring(colon + 1));
        }

        private static String words(Set<Knob.Group> groups) {
            return groups.stream().map(Knob.Group::word).collect(Collectors.joining(","));
        }
    }
}
