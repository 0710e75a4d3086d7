// Scaffold "client-program": the snippet is a complete program (top-level statements, `args` in scope), compiled as the
// body of an async method; its using directives go to the top of the file, and only the implicit usings are added.
//#usings

namespace Consumer.Client;

#pragma warning disable CS1998 // a snippet need not await

internal static partial class ReadmeSnippets
{
    public static async Task $SnippetName$(string[] args)
    {
//#snippet
    }
}
