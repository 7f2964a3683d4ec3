import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ServerTextComponent } from './server-text.component';

describe(ServerTextComponent.name, () => {
  function render(text: string, linkJobs = true): HTMLElement {
    TestBed.configureTestingModule({ providers: [provideRouter([])] });
    const fixture = TestBed.createComponent(ServerTextComponent);
    fixture.componentRef.setInput('text', text);
    fixture.componentRef.setInput('linkJobs', linkJobs);
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  it('shows a command the server quotes in backticks as code, and its markup as text', () => {
    const host = render(
      "the state directory's file system is full: make room, e.g. `trainyard sched cleanup --older-than 7d` <img src=x onerror=alert(1)>",
    );
    expect([...host.querySelectorAll('code')].map((c) => c.textContent)).toEqual([
      'trainyard sched cleanup --older-than 7d',
    ]);
    expect(host.textContent).not.toContain('`');
    expect(host.querySelector('img')).toBeNull();
    expect(host.textContent).toContain('<img src=x onerror=alert(1)>');
  });

  it('links the jobs it names, or keeps their ids as text without links', () => {
    const linked = render('GPU 0 reserved by q_1732300000000_ab12cd34');
    expect(linked.querySelector('a')?.getAttribute('href')).toBe('/jobs/q_1732300000000_ab12cd34');
    TestBed.resetTestingModule();
    const plain = render('Queued q_1732300000000_ab12cd34: run `df -h`', false);
    expect(plain.querySelector('a')).toBeNull();
    expect(plain.textContent!.replace(/\s+/g, ' ').trim()).toBe('Queued q_1732300000000_ab12cd34: run df -h');
  });
});
