// Scaffold "storage": the snippet is the body of an async method; its using directives go to the top of the file.
//#usings

namespace Consumer.Storage;

#pragma warning disable CS1998 // a snippet need not await

internal static partial class ReadmeSnippets
{
    public static async Task $SnippetName$()
    {
//#snippet
    }
}
