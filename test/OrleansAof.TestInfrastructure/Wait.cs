using System.Diagnostics;

namespace OrleansAof.TestInfrastructure;

/// <summary>Waits on conditions instead of sleeping: polls until true or fails with a message saying what did not happen.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static Task UntilAsync(Func<bool> condition, string whatShouldHappen, TimeSpan? timeout = null) =>
        UntilAsync(condition, () => whatShouldHappen, timeout);

    /// <summary>Like <see cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>, with a message that describes the state at the timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> whatShouldHappen, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var sw = Stopwatch.StartNew();
        var delay = 1;
        while (!condition())
        {
            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {whatShouldHappen()}.");
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 50);
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string whatShouldHappen, TimeSpan? timeout = null) =>
        UntilAsync(condition, () => whatShouldHappen, timeout);

    /// <summary>Like <see cref="UntilAsync(Func{Task{bool}}, string, TimeSpan?)"/>, with a message that describes the state at the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> whatShouldHappen, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var sw = Stopwatch.StartNew();
        var delay = 1;
        while (!await condition())
        {
            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {whatShouldHappen()}.");
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 50);
        }
    }

    /// <summary>Awaits <paramref name="task"/> or fails after the timeout with a message.</summary>
    public static async Task<T> ForAsync<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}.");
        }
    }

    /// <summary>Awaits <paramref name="task"/> or fails after the timeout with a message.</summary>
    public static async Task ForAsync(Task task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}.");
        }
    }
}
