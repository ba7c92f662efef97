// widget-lead-form.js: the lead form as a classic script of its own, which widget.js adds to the page when the
// form is to be shown. It hands the form's builder to the script tag that loaded it (no global name on the host
// page); widget.js listens there (loadLeadForm in main.ts).
import { LEAD_FORM_LOADED } from './dom';
import { buildLeadForm } from './lead-form';

document.currentScript?.dispatchEvent(new CustomEvent(LEAD_FORM_LOADED, { detail: buildLeadForm }));
