package dev.tether.core;

import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The StubPlatform OSGi service: registered only while an arch bundle provides all four arch
 * services (static, mandatory references), so stopping the arch bundle deactivates it, which
 * tears down every stub it made.
 */
@Component(service = StubPlatform.class, configurationPid = "dev.tether.core")
@Designate(ocd = StubPlatformConfig.class)
public final class StubPlatformComponent implements StubPlatform {
    private final StubPlatformImpl impl;

    @Activate
    public StubPlatformComponent(@Reference RegisterLayout layout, @Reference StubProgram program,
            @Reference SyscallTable table, @Reference SeccompContribution contribution, StubPlatformConfig config) {
        this.impl = new StubPlatformImpl(layout, program, table, contribution,
                new Settings(config.failureMode(), config.tracerThreads()));
    }

    @Deactivate
    void deactivate() {
        impl.close();
    }

    @Override
    public PlatformFacts facts() {
        return impl.facts();
    }

    @Override
    public Stub createStub() {
        return impl.createStub();
    }

    @Override
    public Stub attachedThread(long cloneFlags, Action defaultAction) {
        return impl.attachedThread(cloneFlags, defaultAction);
    }

    @Override
    public Stub attachedThread(long cloneFlags, Policy policy) {
        return impl.attachedThread(cloneFlags, policy);
    }

    @Override
    public Policy stubPolicy(Action defaultAction) {
        return impl.stubPolicy(defaultAction);
    }

    @Override
    public int syscallNumber(String name) {
        return impl.syscallNumber(name);
    }

    @Override
    public List<Stub> stubs() {
        return impl.stubs();
    }

    @Override
    public dev.tether.api.Subprocess newSubprocess() {
        return impl.newSubprocess();
    }

    @Override
    public dev.tether.api.Subprocess forkSubprocess() {
        return impl.forkSubprocess();
    }

    @Override
    public List<dev.tether.api.Subprocess> subprocesses() {
        return impl.subprocesses();
    }
}
