using System.Diagnostics;

namespace Stepwise.LanguageServer.Server;

/// <summary>
/// With STEPWISE_LSP_TRACE=1, start-up milestones go to stderr: milliseconds since the process started, methods
/// the JIT compiled so far (those ReadyToRun code did not cover) and the JIT's time. Off, it costs one env lookup.
/// </summary>
public static class StartupTrace
{
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("STEPWISE_LSP_TRACE") == "1";

    /// <summary>Also logs each assembly load (with the stack that caused it when STEPWISE_LSP_TRACE=stacks).</summary>
    public static void WatchAssemblyLoads()
    {
        if (!Enabled) return;
        bool stacks = Environment.GetEnvironmentVariable("STEPWISE_LSP_TRACE_STACKS") == "1";
        AppDomain.CurrentDomain.AssemblyLoad += (_, e) =>
        {
            Mark($"assembly load: {e.LoadedAssembly.GetName().Name}");
            if (stacks) Console.Error.WriteLine(new StackTrace(1, false).ToString());
        };
    }

    public static void Mark(string what)
    {
        if (!Enabled) return;
        var sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        Console.Error.WriteLine($"[trace] {sinceStart,7:F1} ms  jit {System.Runtime.JitInfo.GetCompiledMethodCount(),5} methods {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,6:F1} ms  thread {Environment.CurrentManagedThreadId,2}  {what}");
    }

    /// <summary>Where the resident memory is: managed heap, committed GC memory, threads, loaded assemblies.</summary>
    public static void Memory()
    {
        var info = GC.GetGCMemoryInfo();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.Error.WriteLine($"[trace] memory: rss {self.WorkingSet64 / 1048576.0:F1} MB, managed heap {info.HeapSizeBytes / 1048576.0:F1} MB, " +
            $"GC committed {info.TotalCommittedBytes / 1048576.0:F1} MB, gen0 collections {GC.CollectionCount(0)}, gen2 {GC.CollectionCount(2)}, " +
            $"threads {self.Threads.Count}, assemblies {AppDomain.CurrentDomain.GetAssemblies().Length}, " +
            $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods / {System.Runtime.JitInfo.GetCompiledILBytes() / 1024} KiB IL");
        foreach (var a in AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).Order()) Console.Error.Write(a + " ");
        Console.Error.WriteLine();
    }
}
