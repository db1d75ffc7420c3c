namespace CnnNative.Tests.Fuzz;

/// <summary>
/// One parser under fuzzing: where its seeds are, how an input is made from a seed, what it does with the input,
/// and the exception types it documents for bad input (anything else it throws is a finding).
/// </summary>
/// <param name="Name">Names the test case and the corpus folder's use in reports.</param>
/// <param name="Corpus">The folder under Fuzz/corpus whose files are the seeds (each is also run unchanged).</param>
/// <param name="Documented">The exception types bad input may cause.</param>
/// <param name="Mutate">Makes an input from a seed (the mutator, the seed, all seeds).</param>
/// <param name="Run">Hands the input to the parser.</param>
internal sealed record FuzzTarget(
    string Name, string Corpus, Type[] Documented, Func<Mutator, byte[], IReadOnlyList<byte[]>, byte[]> Mutate, Action<byte[]> Run)
{
    public override string ToString() => Name;
}
