import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asBuffer, RenderFailure, renderBlueprintFiles } from '../src/modules/catalog/stack-render.js';

const variables = {
  stack_usecase: 'aws',
  stack_author: 'me',
  stack_canonical: 'new-stack',
  stack_path: 'new-stack',
  scs_canonical: 'target',
  scs_cred_path: '',
  scs_cred_type: '',
  api_url: 'https://gantry.example.com',
};
const rename = { name: 'New', canonical: 'new-stack' };

describe('blueprint rendering as a render worker runs it', () => {
  it('takes and gives bytes across the thread boundary, binary files untouched', () => {
    const png = Buffer.from([0x89, 0x50, 0, 0x28, 0x24, 0x3e]);
    // What a worker receives: structured cloning turns Buffers into plain Uint8Arrays.
    const request = structuredClone({
      files: [
        {
          path: '.cycloid.yml',
          content: Buffer.from(
            "version: '4'\ncanonical: bp\nname: BP\ntemplate: true\nauthor: ($> .stack_author <$)\n",
          ),
        },
        { path: 'diagram.png', content: png },
      ],
      variables,
      rename,
    });
    const out = structuredClone(renderBlueprintFiles(request));
    const files = out.files.map((f) => ({ path: f.path, content: asBuffer(f.content) }));
    assert.match(files[0]!.content.toString(), /^author: me$/m);
    assert.match(files[0]!.content.toString(), /^canonical: new-stack$/m);
    assert.deepEqual(files[1]!.content, png);
  });

  it('a render error and a marker that no longer reads as a stack are failures naming the file', () => {
    const request = (marker: string) => ({
      files: [{ path: '.cycloid.yml', content: Buffer.from(marker) }],
      variables,
      rename,
    });
    assert.throws(
      () => renderBlueprintFiles(request('canonical: bp\nname: ($> if <$)\n')),
      (e: Error) => e instanceof RenderFailure && /^blueprint: \.cycloid\.yml:2:/.test(e.message),
    );
    assert.throws(
      () => renderBlueprintFiles(request("canonical: bp\nversion: '9'\n")),
      (e: Error) => e instanceof RenderFailure && /\(after rendering\)$/.test(e.message),
    );
  });
});
